//! Recording a payment on a membership (recorded, never charged).

use super::{
    act::{Act, Problem},
    fields::{cents, TextInput},
    memberships::FormButtons,
};
use leptos::prelude::*;
use shared::{
    calendar::Date,
    member::{MemberCommand, Membership, PaymentMethod},
    text::money,
};

#[component]
pub fn PayForm(act: Act, membership: Membership, today: Memo<Date>, close: Callback<()>) -> impl IntoView {
    let id = membership.id;
    let amount = RwSignal::new(money(membership.outstanding_cents()));
    let method = RwSignal::new(PaymentMethod::Cash);
    let problem = RwSignal::new(None::<String>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(amount_cents) = cents(&amount.get_untracked()) else {
            problem.set(Some("Type the amount as a number, like 49.90.".into()));
            return;
        };
        let command = MemberCommand::RecordPayment {
            membership: id,
            amount_cents,
            method: method.get_untracked(),
            on: today.get_untracked(),
        };
        act.run(command, problem, move || close.run(()));
    };
    view! {
        <form class="membership-form" data-testid="pay-form" on:submit=submit novalidate>
            <TextInput name="pay-amount" scope=id.to_string() label="Amount" value=amount/>
            <label for=format!("pay-method-{id}")>"Method"</label>
            <select id=format!("pay-method-{id}") data-testid="pay-method"
                on:change=move |ev| {
                    let chosen = event_target_value(&ev);
                    if let Some(m) = PaymentMethod::ALL.into_iter().find(|m| m.label() == chosen) {
                        method.set(m);
                    }
                }>
                {PaymentMethod::ALL.into_iter().map(|m| view! {
                    <option value=m.label() selected=move || method.get() == m>{m.label()}</option>
                }).collect_view()}
            </select>
            <p class="hint">{format!("Outstanding: {}", money(membership.outstanding_cents()))}</p>
            <Problem problem/>
            <FormButtons confirm="Record payment" testid="pay-confirm" close/>
        </form>
    }
}
