//! Selling a membership: a plan on sale (its terms are copied into the sale), when it starts (a
//! date, or a card's first visit), and the payment taken with it.

use super::{
    act::{self, Act, Problem},
    fields::DateInput,
};
use crate::{client::ClientState, sentences};
use leptos::{either::Either, prelude::*};
use shared::{
    calendar::Date,
    club::Plan,
    member::{MemberCommand, PaymentMethod, Start},
    text::money,
};
use uuid::Uuid;

#[component]
pub fn Sell(state: ClientState, act: Act, today: Memo<Date>) -> impl IntoView {
    let open = RwSignal::new(false);
    let sold = RwSignal::new(None::<String>);
    view! {
        <div class="sell">
            {move || if open.get() {
                let close = Callback::new(move |name: Option<String>| {
                    open.set(false);
                    sold.set(name);
                });
                Either::Left(view! { <SellForm state act today close/> }.into_any())
            } else {
                Either::Right(view! {
                    <button type="button" class="primary" data-testid="sell" on:click=move |_| { open.set(true); sold.set(None); }>
                        "Sell a membership…"
                    </button>
                })
            }}
            {move || sold.get().map(|name| view! { <p class="notice ok" role="status" data-testid="sold">{format!("Sold: {name}")}</p> })}
        </div>
    }
}

#[component]
fn SellForm(state: ClientState, act: Act, today: Memo<Date>, close: Callback<Option<String>>) -> impl IntoView {
    let plans =
        Memo::new(move |_| state.settings.with(|s| s.plans_on_sale().into_iter().cloned().collect::<Vec<Plan>>()));
    let chosen = RwSignal::new(plans.with_untracked(|p| p.first().map(|p| p.id)));
    // The plan chosen, or the first one listed (what the select shows until staff choose).
    let plan = Memo::new(move |_| {
        plans.with(|p| chosen.get().and_then(|id| p.iter().find(|p| p.id == id)).or(p.first()).cloned())
    });
    let is_card = Memo::new(move |_| plan.with(|p| p.as_ref().is_some_and(|p| p.terms.visits.count().is_some())));
    // A card activates on its first visit unless staff choose a date.
    let first_visit = RwSignal::new(true);
    let start = RwSignal::new(Some(today.get_untracked()));
    let paid_now = RwSignal::new(true);
    let method = RwSignal::new(PaymentMethod::Cash);
    let problem = RwSignal::new(None::<String>);
    let may_backdate = act::back_dating(state);
    let earliest = Signal::derive(move || (!may_backdate.get()).then(|| today.get()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(plan) = plan.get_untracked() else {
            problem.set(Some("Choose a plan.".into()));
            return;
        };
        let start = if is_card.get_untracked() && first_visit.get_untracked() {
            Start::FirstVisit
        } else {
            match start.get_untracked() {
                Some(d) => Start::On(d),
                None => {
                    problem.set(Some("Choose the first day.".into()));
                    return;
                }
            }
        };
        let on = today.get_untracked();
        let membership = act.new_id();
        let name = plan.terms.name.clone();
        let price = plan.terms.price_cents;
        let pay = paid_now.get_untracked() && price > 0;
        let method = method.get_untracked();
        let command = MemberCommand::SellMembership { membership, plan: plan.id, terms: plan.terms, start, on };
        act.run(command, problem, move || {
            if !pay {
                close.run(Some(name));
                return;
            }
            let payment = MemberCommand::RecordPayment { membership, amount_cents: price, method, on };
            // Sold either way: the form closes (selling again would sell twice), saying what became
            // of the payment.
            act.execute(payment, move |outcome| {
                close.run(Some(match outcome {
                    Ok(()) => format!("{name}, paid {}", money(price)),
                    Err(e) => format!("{name}. The payment was not recorded: {}", sentences::refusal(&e)),
                }))
            });
        });
    };
    move || {
        if plans.with(Vec::is_empty) {
            return Either::Left(view! {
                <div class="notice" role="status" data-testid="no-plans">
                    "No plan is on sale yet: a manager adds plans in the club's settings. "
                    <button type="button" on:click=move |_| close.run(None)>"Close"</button>
                </div>
            });
        }
        Either::Right(view! {
            <form class="card membership-form" data-testid="sell-form" on:submit=submit novalidate>
                <label for="sell-plan">"Plan"</label>
                <select id="sell-plan" data-testid="sell-plan"
                    on:change=move |ev| chosen.set(event_target_value(&ev).parse::<Uuid>().ok())>
                    {move || plans.get().into_iter().map(|p| {
                        let label = format!("{} — {}, {}", p.terms.name, p.terms.describe(), money(p.terms.price_cents));
                        view! { <option value=p.id.to_string() selected=move || plan.with(|chosen| chosen.as_ref().map(|c| c.id)) == Some(p.id)>{label}</option> }
                    }).collect_view()}
                </select>
                {move || is_card.get().then(|| view! {
                    <label class="inline">
                        <input type="checkbox" data-testid="sell-first-visit" prop:checked=first_visit
                            on:change=move |ev| first_visit.set(event_target_checked(&ev))/>
                        " Starts on the first visit"
                    </label>
                })}
                {move || (!is_card.get() || !first_visit.get()).then(|| view! {
                    <DateInput name="sell-start" scope="new" label="First day" value=start min=earliest/>
                })}
                <p class="preview" role="status" data-testid="sell-preview">{move || preview(plan.get(), is_card.get() && first_visit.get(), start.get(), today.get())}</p>
                {move || plan.with(|p| p.as_ref().is_some_and(|p| p.terms.price_cents > 0)).then(|| view! {
                    <label class="inline">
                        <input type="checkbox" data-testid="sell-paid" prop:checked=paid_now
                            on:change=move |ev| paid_now.set(event_target_checked(&ev))/>
                        " Paid now, in full, by "
                        <select data-testid="sell-method" aria-label="Payment method"
                            on:change=move |ev| {
                                let chosen = event_target_value(&ev);
                                if let Some(m) = PaymentMethod::ALL.into_iter().find(|m| m.label() == chosen) {
                                    method.set(m);
                                }
                            }>
                            {PaymentMethod::ALL.into_iter().map(|m| view! { <option value=m.label()>{m.label()}</option> }).collect_view()}
                        </select>
                    </label>
                })}
                <Problem problem/>
                <div class="form-buttons">
                    <button type="submit" class="primary" data-testid="sell-confirm">"Sell"</button>
                    <button type="button" on:click=move |_| close.run(None)>"Close"</button>
                </div>
            </form>
        })
    }
}

/// What the sale will be: "10 visits within 6 months, from the first visit (by 3 Jun 2027)".
fn preview(plan: Option<Plan>, first_visit: bool, start: Option<Date>, today: Date) -> String {
    let Some(plan) = plan else { return String::new() };
    let terms = plan.terms.describe();
    match (first_visit, start) {
        (true, _) => format!(
            "{terms}, starting on the first visit (at the latest {}).",
            sentences::date(plan.terms.length.last_day(today))
        ),
        (false, Some(start)) => {
            format!("{terms}: {} – {}.", sentences::date(start), sentences::date(plan.terms.length.last_day(start)))
        }
        (false, None) => terms,
    }
}
