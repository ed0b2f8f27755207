//! The club's plans: listed, added, edited, taken off sale and put back on sale. A sale copies a
//! plan's terms into the member's stream, so editing a plan changes only later sales.

use super::{Change, Outcome, OutcomeNote};
use crate::{client::ClientState, pages::member::fields::cents};
use leptos::{either::Either, prelude::*};
use shared::{
    club::{Length, Plan, PlanTerms, Setting, Visits},
    text::money,
};
use uuid::Uuid;

/// Which plan form is open.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Editing {
    New,
    Plan(Uuid),
}

#[component]
pub fn Plans(state: ClientState, change: Change) -> impl IntoView {
    // On sale first, then by name.
    let plans = Memo::new(move |_| {
        state.settings.with(|s| {
            let mut plans: Vec<Plan> = s.plans.values().cloned().collect();
            plans.sort_by(|a, b| (!a.on_sale, &a.terms.name, a.id).cmp(&(!b.on_sale, &b.terms.name, b.id)));
            plans
        })
    });
    let editing = RwSignal::new(None::<Editing>);
    let outcome = RwSignal::new(None::<Outcome>);
    let done = Callback::new(move |said: Option<String>| {
        editing.set(None);
        outcome.set(said.map(Outcome::Saved));
    });
    let toggle = move |plan: Plan| {
        outcome.set(None);
        let name = plan.terms.name.clone();
        let on_sale = !plan.on_sale;
        change.run(Setting::Plan(Plan { on_sale, ..plan }), move |result| {
            outcome.set(Some(match result {
                Ok(()) if on_sale => Outcome::Saved(format!("{name} is on sale again.")),
                Ok(()) => Outcome::Saved(format!("{name} is off sale: it stays on the memberships sold from it.")),
                Err(why) => Outcome::Refused(why),
            }))
        });
    };
    view! {
        <section class="card" data-testid="plans-settings">
            <h2>"Plans"</h2>
            <p class="hint">
                "What the club sells. A sale copies the plan's terms: changing a plan changes only later sales, and a plan taken off sale stays on the memberships sold from it."
            </p>
            {move || plans.with(Vec::is_empty).then(|| view! { <p data-testid="no-plans">"No plans yet: add the first one."</p> })}
            <ul class="plans" data-testid="plans">
                <For each=move || plans.get() key=|p| p.clone() let:plan>
                    <li data-testid="plan" data-plan=plan.id.to_string() data-on-sale=plan.on_sale.to_string() class:off-sale=!plan.on_sale>
                        <span class="plan-what">
                            <strong class="plan-name">{plan.terms.name.clone()}</strong>
                            <span class="terms">{plan.terms.describe()}</span>
                        </span>
                        <span class="price">{money(plan.terms.price_cents)}</span>
                        {(!plan.on_sale).then(|| view! { <span class="tag">"off sale"</span> })}
                        <span class="plan-actions">
                            <button type="button" data-testid="edit-plan" on:click=move |_| {
                                outcome.set(None);
                                editing.set(Some(Editing::Plan(plan.id)));
                            }>"Edit"</button>
                            {
                                let plan = plan.clone();
                                let label = if plan.on_sale { "Take off sale" } else { "Put back on sale" };
                                view! { <button type="button" data-testid="toggle-sale" on:click=move |_| toggle(plan.clone())>{label}</button> }
                            }
                        </span>
                    </li>
                </For>
            </ul>
            {move || match editing.get() {
                None => Either::Left(view! {
                    <button type="button" class="primary" data-testid="add-plan" on:click=move |_| {
                        outcome.set(None);
                        editing.set(Some(Editing::New));
                    }>"Add a plan…"</button>
                }),
                Some(Editing::New) => Either::Right(view! { <PlanForm plan=None change done/> }.into_any()),
                Some(Editing::Plan(id)) => {
                    let plan = plans.with_untracked(|p| p.iter().find(|p| p.id == id).cloned());
                    Either::Right(view! { <PlanForm plan change done/> }.into_any())
                }
            }}
            <OutcomeNote outcome testid="plan-outcome"/>
        </section>
    }
    .into_any()
}

/// How a plan's length is chosen: the two everyday ones, or a number of months or days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LengthKind {
    Month,
    Year,
    Months,
    Days,
}

impl LengthKind {
    const ALL: [LengthKind; 4] = [LengthKind::Month, LengthKind::Year, LengthKind::Months, LengthKind::Days];

    fn key(self) -> &'static str {
        match self {
            LengthKind::Month => "month",
            LengthKind::Year => "year",
            LengthKind::Months => "months",
            LengthKind::Days => "days",
        }
    }

    fn label(self) -> &'static str {
        match self {
            LengthKind::Month => "Monthly (1 month)",
            LengthKind::Year => "Yearly (12 months)",
            LengthKind::Months => "A number of months",
            LengthKind::Days => "A number of days",
        }
    }

    fn of(length: Length) -> (LengthKind, u32) {
        match length {
            Length::Months(1) => (LengthKind::Month, 1),
            Length::Months(12) => (LengthKind::Year, 12),
            Length::Months(n) => (LengthKind::Months, n),
            Length::Days(n) => (LengthKind::Days, n),
        }
    }
}

/// A plan's terms from what staff typed, or what to fix.
fn terms(
    name: String,
    length: LengthKind,
    length_n: &str,
    card: bool,
    visits_n: &str,
    price: &str,
) -> Result<PlanTerms, String> {
    let number = |typed: &str, what: &str| {
        typed.trim().parse::<u32>().map_err(|_| format!("Write the {what} as a whole number."))
    };
    let length = match length {
        LengthKind::Month => Length::Months(1),
        LengthKind::Year => Length::Months(12),
        LengthKind::Months => Length::Months(number(length_n, "number of months")?),
        LengthKind::Days => Length::Days(number(length_n, "number of days")?),
    };
    let visits = if card { Visits::Card(number(visits_n, "number of visits")?) } else { Visits::Unlimited };
    let price_cents = cents(price).ok_or("Write the price as an amount, like 49.00.")?;
    Ok(PlanTerms { name, length, visits, price_cents })
}

#[component]
fn PlanForm(plan: Option<Plan>, change: Change, done: Callback<Option<String>>) -> impl IntoView {
    let (kind, n) = plan.as_ref().map_or((LengthKind::Month, 1), |p| LengthKind::of(p.terms.length));
    let name = RwSignal::new(plan.as_ref().map(|p| p.terms.name.clone()).unwrap_or_default());
    let length = RwSignal::new(kind);
    let length_n = RwSignal::new(n.to_string());
    let card = RwSignal::new(plan.as_ref().is_some_and(|p| p.terms.visits.count().is_some()));
    let visits_n = RwSignal::new(plan.as_ref().and_then(|p| p.terms.visits.count()).unwrap_or(10).to_string());
    let price = RwSignal::new(plan.as_ref().map(|p| money(p.terms.price_cents)).unwrap_or_default());
    let problem = RwSignal::new(None::<Outcome>);
    let editing = plan.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        problem.set(None);
        let terms = match terms(
            name.get_untracked(),
            length.get_untracked(),
            &length_n.get_untracked(),
            card.get_untracked(),
            &visits_n.get_untracked(),
            &price.get_untracked(),
        ) {
            Ok(terms) => terms,
            Err(why) => return problem.set(Some(Outcome::Refused(why))),
        };
        let (id, on_sale, verb) = match &editing {
            Some(p) => (p.id, p.on_sale, "saved"),
            None => (change.new_id(), true, "added"),
        };
        let said = format!("Plan {} {verb}.", shared::text::normalise(&terms.name));
        change.run(Setting::Plan(Plan { id, terms, on_sale }), move |result| match result {
            Ok(()) => done.run(Some(said)),
            Err(why) => problem.set(Some(Outcome::Refused(why))),
        });
    };
    let heading = match &plan {
        Some(p) => format!("Edit {}", p.terms.name),
        None => "New plan".to_owned(),
    };
    view! {
        <form class="plan-form" on:submit=submit data-testid="plan-form">
            <h3>{heading}</h3>
            {plan.is_some().then(|| view! {
                <p class="hint">"Memberships already sold keep the terms they were sold with."</p>
            })}
            <label for="plan-name">"Plan name"</label>
            <input id="plan-name" type="text" autocomplete="off" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="plan-length">"Length"</label>
            <select id="plan-length" on:change=move |ev| {
                let key = event_target_value(&ev);
                if let Some(kind) = LengthKind::ALL.into_iter().find(|k| k.key() == key) {
                    length.set(kind);
                }
            }>
                {LengthKind::ALL.into_iter().map(|k| view! {
                    <option value=k.key() selected=move || length.get() == k>{k.label()}</option>
                }).collect_view()}
            </select>
            {move || match length.get() {
                LengthKind::Months | LengthKind::Days => Some(view! {
                    <label for="plan-length-n">{if length.get() == LengthKind::Months { "Number of months" } else { "Number of days" }}</label>
                    <input id="plan-length-n" type="number" min="1" inputmode="numeric" prop:value=length_n
                        on:input=move |ev| length_n.set(event_target_value(&ev))/>
                }),
                _ => None,
            }}
            <label for="plan-visits">"Visits"</label>
            <select id="plan-visits" on:change=move |ev| card.set(event_target_value(&ev) == "card")>
                <option value="unlimited" selected=move || !card.get()>"Unlimited visits"</option>
                <option value="card" selected=move || card.get()>"A visit card"</option>
            </select>
            {move || card.get().then(|| view! {
                <label for="plan-visits-n">"Number of visits"</label>
                <input id="plan-visits-n" type="number" min="1" inputmode="numeric" prop:value=visits_n
                    on:input=move |ev| visits_n.set(event_target_value(&ev))/>
            })}
            <label for="plan-price">"Price"</label>
            <input id="plan-price" type="text" inputmode="decimal" placeholder="49.00" prop:value=price
                on:input=move |ev| price.set(event_target_value(&ev))/>
            <div class="form-actions">
                <button type="submit" class="primary">{if plan.is_some() { "Save plan" } else { "Add plan" }}</button>
                <button type="button" on:click=move |_| done.run(None)>"Cancel"</button>
            </div>
            <OutcomeNote outcome=problem testid="plan-problem"/>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plans_terms_are_read_from_the_form() {
        let card = terms("10 visits".into(), LengthKind::Months, "6", true, "10", "90").unwrap();
        assert_eq!(card.length, Length::Months(6));
        assert_eq!(card.visits, Visits::Card(10));
        assert_eq!(card.price_cents, 9_000);
        let yearly = terms("Year".into(), LengthKind::Year, "", false, "", "499,50").unwrap();
        assert_eq!((yearly.length, yearly.visits, yearly.price_cents), (Length::Months(12), Visits::Unlimited, 49_950));
        assert!(terms("x".into(), LengthKind::Days, "ten", false, "", "1").is_err());
        assert!(terms("x".into(), LengthKind::Month, "", false, "", "cheap").is_err());
    }

    #[test]
    fn a_length_is_shown_as_the_choice_it_was_made_with() {
        assert_eq!(LengthKind::of(Length::Months(1)), (LengthKind::Month, 1));
        assert_eq!(LengthKind::of(Length::Months(12)), (LengthKind::Year, 12));
        assert_eq!(LengthKind::of(Length::Months(6)), (LengthKind::Months, 6));
        assert_eq!(LengthKind::of(Length::Days(10)), (LengthKind::Days, 10));
    }
}
