//! Renewing a membership on its plan's current terms: it starts the day after the old one ends
//! (today if that has passed).

use super::{
    act::{Act, Problem},
    memberships::FormButtons,
};
use crate::{client::ClientState, sentences};
use leptos::{either::Either, prelude::*};
use shared::{
    calendar::Date,
    member::{MemberCommand, Membership},
    text::money,
};

#[component]
pub fn RenewForm(
    state: ClientState,
    act: Act,
    membership: Membership,
    today: Memo<Date>,
    close: Callback<()>,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    let old = membership.clone();
    let plan = Memo::new(move |_| state.settings.with(|s| s.plans.get(&old.plan).cloned()));
    // As the domain starts it: after the old one, unless cancelled or already over.
    let renews = membership.id;
    let start = move || {
        let after = membership.end().map(|end| end.add_days(1)).filter(|_| membership.cancelled.is_none());
        after.map_or(today.get(), |d| d.max(today.get()))
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(plan) = plan.get_untracked() else { return };
        let command = MemberCommand::RenewMembership {
            membership: act.new_id(),
            renews,
            plan: plan.id,
            terms: plan.terms,
            on: today.get_untracked(),
        };
        act.run(command, problem, move || close.run(()));
    };
    move || match plan.get() {
        None => Either::Left(view! {
            <p class="notice" role="status">"This membership's plan is not in the club's settings on this device yet: sell a plan on sale instead."</p>
        }),
        Some(plan) => {
            let terms = format!(
                "{} ({}, {}){}, starting {}.",
                plan.terms.name,
                plan.terms.describe(),
                money(plan.terms.price_cents),
                if plan.on_sale { "" } else { " — no longer on sale, renewed on its last terms" },
                sentences::date(start())
            );
            Either::Right(view! {
                <form class="membership-form" data-testid="renew-form" on:submit=submit novalidate>
                    <p class="preview" role="status" data-testid="renew-preview">{format!("Renew as {terms}")}</p>
                    <Problem problem/>
                    <FormButtons confirm="Renew" testid="renew-confirm" close/>
                </form>
            })
        }
    }
}
