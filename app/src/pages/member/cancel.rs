//! Cancelling a membership: from a date, for a reason, asked twice (it cannot be undone; a
//! cancelled membership is reinstated by selling a new one).

use super::{
    act::{Act, Problem},
    fields::{DateInput, TextInput},
};
use crate::sentences;
use leptos::{either::Either, prelude::*};
use shared::{
    calendar::Date,
    member::{MemberCommand, Membership},
};

#[component]
pub fn CancelForm(act: Act, membership: Membership, today: Memo<Date>, close: Callback<()>) -> impl IntoView {
    let id = membership.id;
    let from = RwSignal::new(Some(today.get_untracked()));
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let asking = RwSignal::new(false);
    let earliest = Signal::derive(move || Some(today.get()));
    let name = membership.terms.name.clone();
    let ask = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        problem.set(None);
        if from.get_untracked().is_none() {
            problem.set(Some("Choose the day the cancellation takes effect.".into()));
        } else if reason.with_untracked(|r| r.trim().is_empty()) {
            problem.set(Some("A reason is required.".into()));
        } else {
            asking.set(true);
        }
    };
    let cancel = move |_| {
        let Some(from) = from.get_untracked() else { return };
        let command = MemberCommand::CancelMembership {
            membership: id,
            from,
            reason: reason.get_untracked(),
            on: today.get_untracked(),
        };
        act.run(command, problem, move || close.run(()));
    };
    view! {
        <form class="membership-form" data-testid="cancel-form" on:submit=ask novalidate>
            <DateInput name="cancel-from" scope=id.to_string() label="Cancelled from" value=from min=earliest/>
            <TextInput name="cancel-reason" scope=id.to_string() label="Reason (kept in the timeline)" value=reason/>
            {move || if asking.get() {
                let when = from.get().map(sentences::date).unwrap_or_default();
                Either::Left(view! {
                    <div class="confirm" role="group" aria-label="Cancel this membership?">
                        <p>{format!("Cancel {} from {when}? This cannot be undone: to reinstate it, sell a new membership.", name)}</p>
                        <button type="button" class="danger" data-testid="cancel-confirm" on:click=cancel>"Yes, cancel it"</button>
                        <button type="button" on:click=move |_| asking.set(false)>"Keep it"</button>
                    </div>
                })
            } else {
                Either::Right(view! {
                    <div class="form-buttons">
                        <button type="submit" class="danger" data-testid="cancel-ask">"Cancel membership…"</button>
                        <button type="button" on:click=move |_| close.run(())>"Close"</button>
                    </div>
                })
            }}
            <Problem problem/>
        </form>
    }
}
