//! The member's memberships: each with its status today and when it next changes, its terms,
//! dates, visits and payments, and what front-desk staff do with it (payment, freeze, unfreeze,
//! cancel, renew); selling a new one.

use super::{
    act::{self, Act},
    cancel::CancelForm,
    day,
    freeze::{FreezeForm, UnfreezeForm},
    pay::PayForm,
    renew::RenewForm,
    sell::Sell,
};
use crate::{
    client::{ClientState, MemberRow},
    sentences,
};
use leptos::prelude::*;
use shared::{
    calendar::Date,
    member::{Membership, Status},
    text::money,
};
use uuid::Uuid;

/// Which form of a membership is open (one at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Pay,
    Freeze,
    Unfreeze,
    Cancel,
    Renew,
}

impl Form {
    fn label(self) -> &'static str {
        match self {
            Form::Pay => "Record payment…",
            Form::Freeze => "Freeze…",
            Form::Unfreeze => "Unfreeze…",
            Form::Cancel => "Cancel membership…",
            Form::Renew => "Renew…",
        }
    }
}

#[component]
pub fn Memberships(state: ClientState, act: Act, member: Memo<Option<MemberRow>>) -> impl IntoView {
    let now = day::ticking_now();
    let today = Memo::new(move |_| {
        now.track();
        state.settings.with(day::today)
    });
    let may_sell = act::sales(state);
    // Newest sale first.
    let ids = Memo::new(move |_| {
        member
            .with(|m| m.as_ref().map(|m| m.member.memberships.iter().rev().map(|m| m.id).collect::<Vec<_>>()))
            .unwrap_or_default()
    });
    view! {
        <section class="memberships" data-testid="memberships">
            <h2>"Memberships"</h2>
            {move || ids.with(Vec::is_empty).then(|| view! { <p class="empty" data-testid="no-membership">"No membership yet."</p> })}
            <ul class="membership-list">
                <For each=move || ids.get() key=|id| *id let:id>
                    {view! { <Item state act member id today may_sell/> }.into_any()}
                </For>
            </ul>
            {move || may_sell.get().then(|| view! { <Sell state act today/> }.into_any())}
        </section>
    }
}

#[component]
fn Item(
    state: ClientState,
    act: Act,
    member: Memo<Option<MemberRow>>,
    id: Uuid,
    today: Memo<Date>,
    may_sell: Memo<bool>,
) -> impl IntoView {
    let m = Memo::new(move |_| member.with(|r| r.as_ref().and_then(|r| r.member.membership(id).cloned())));
    let open = RwSignal::new(None::<Form>);
    // The forms the membership offers today, in the order staff need them.
    let offered = Memo::new(move |_| m.with(|m| m.as_ref().map(|m| offered(m, today.get())).unwrap_or_default()));
    let details = move || m.get().map(|m| details(&m, today.get()));
    let forms = move || {
        let form = open.get()?;
        let close = Callback::new(move |()| open.set(None));
        let membership = m.get_untracked()?;
        Some(match form {
            Form::Pay => view! { <PayForm act membership today close/> }.into_any(),
            Form::Freeze => view! { <FreezeForm state act membership today close/> }.into_any(),
            Form::Unfreeze => view! { <UnfreezeForm act membership today close/> }.into_any(),
            Form::Cancel => view! { <CancelForm act membership today close/> }.into_any(),
            Form::Renew => view! { <RenewForm state act membership today close/> }.into_any(),
        })
    };
    view! {
        <li
            class="membership card"
            data-testid="membership"
            data-membership=id.to_string()
            data-status=move || m.with(|m| m.as_ref().map(|m| status_code(m.status(today.get()).0)))
        >
            {details}
            {move || may_sell.get().then(|| view! {
                <div class="actions">
                    {move || offered.get().into_iter().map(|form| {
                        let pressed = move || open.get() == Some(form);
                        view! {
                            <button type="button" aria-pressed=move || pressed().to_string()
                                on:click=move |_| open.set(if pressed() { None } else { Some(form) })>
                                {form.label()}
                            </button>
                        }
                    }).collect_view()}
                </div>
            })}
            {forms}
        </li>
    }
}

/// What can be done with a membership on `today`.
fn offered(m: &Membership, today: Date) -> Vec<Form> {
    let (status, _) = m.status(today);
    let mut forms = vec![];
    if m.outstanding_cents() > 0 {
        forms.push(Form::Pay);
    }
    if m.cancelled.is_none() {
        if m.start.is_some() && !matches!(status, Status::Expired) {
            forms.push(Form::Freeze);
        }
        let planned = m.freezes.iter().any(|f| f.until >= today);
        if planned {
            forms.push(Form::Unfreeze);
        }
    }
    // A card still waiting for its first visit has nothing to renew yet.
    if m.start.is_some() || m.cancelled.is_some() || matches!(status, Status::Expired) {
        forms.push(Form::Renew);
    }
    if m.cancelled.is_none() && !matches!(status, Status::Expired) {
        forms.push(Form::Cancel);
    }
    forms
}

/// A stable name of a status, for styles and tests ("no_visits_left").
pub fn status_code(status: Status) -> &'static str {
    match status {
        Status::NotStarted => "not_started",
        Status::Active => "active",
        Status::Frozen => "frozen",
        Status::Expired => "expired",
        Status::Cancelled => "cancelled",
        Status::NoVisitsLeft => "no_visits_left",
    }
}

fn details(m: &Membership, today: Date) -> impl IntoView {
    let (status, next) = m.status(today);
    let dates = match (m.start, m.end()) {
        (Some(start), Some(end)) => format!("{} – {}", sentences::date(start), sentences::date(end)),
        _ => format!("starts on its first visit (at the latest {})", sentences::date(m.activate_by())),
    };
    // Unlimited visits are said once, with the terms.
    let visits = match (m.visits_left(), m.terms.visits.count()) {
        (Some(left), Some(of)) => Some(format!("{left} of {of} visits left")),
        _ => None,
    };
    let owed = m.outstanding_cents();
    let paid = if m.terms.price_cents == 0 {
        "free: nothing to pay".to_owned()
    } else if owed == 0 {
        format!("paid {}", money(m.paid_cents))
    } else {
        format!("paid {} · {} outstanding", money(m.paid_cents), money(owed))
    };
    let freezes = m
        .freezes
        .iter()
        .map(|f| format!("frozen {} – {} ({} days)", sentences::date(f.from), sentences::date(f.until), f.days()))
        .collect::<Vec<_>>();
    let cancelled = m.cancelled.as_ref().map(|c| format!("cancelled from {}: {}", sentences::date(c.from), c.reason));
    view! {
        <p class="membership-title">
            <strong data-testid="membership-name">{m.terms.name.clone()}</strong>
            " "
            <span class=format!("tag status {}", status_code(status)) data-testid="membership-status">
                {if m.start.is_none() && status == Status::NotStarted {
                    "not started (starts on its first visit)".to_owned()
                } else {
                    sentences::status(status, next)
                }}
            </span>
        </p>
        <p class="terms">{format!("{} · {}", m.terms.describe(), money(m.terms.price_cents))}</p>
        <p class="dates" data-testid="membership-dates">{dates}</p>
        {visits.map(|v| view! { <p class="visits" data-testid="membership-visits">{v}</p> })}
        <p class="paid" data-testid="membership-paid">{paid}</p>
        {freezes.into_iter().map(|f| view! { <p class="freeze">{f}</p> }).collect_view()}
        {cancelled.map(|c| view! { <p class="cancelled">{c}</p> })}
        {m.renews.map(|_| view! { <p class="renews">"a renewal"</p> })}
    }
}

/// The buttons a form ends with: confirm, and close.
#[component]
pub fn FormButtons(confirm: &'static str, testid: &'static str, close: Callback<()>) -> impl IntoView {
    view! {
        <div class="form-buttons">
            <button type="submit" class="primary" data-testid=testid>{confirm}</button>
            <button type="button" on:click=move |_| close.run(())>"Close"</button>
        </div>
    }
}
