//! Freezing a membership (the new end date shown before staff confirm) and ending a freeze.

use super::{
    act::{self, Act, Problem},
    fields::DateInput,
    memberships::FormButtons,
};
use crate::{client::ClientState, sentences};
use leptos::prelude::*;
use shared::{
    calendar::Date,
    member::{Freeze, MemberCommand, Membership},
};

/// A freeze of two weeks from today, unless staff choose other dates.
const DEFAULT_DAYS: i32 = 14;

#[component]
pub fn FreezeForm(
    state: ClientState,
    act: Act,
    membership: Membership,
    today: Memo<Date>,
    close: Callback<()>,
) -> impl IntoView {
    let id = membership.id;
    let from = RwSignal::new(Some(today.get_untracked()));
    let until = RwSignal::new(Some(today.get_untracked().add_days(DEFAULT_DAYS - 1)));
    let problem = RwSignal::new(None::<String>);
    // Only a manager may start a freeze before today (the picker follows; the rules decide).
    let may_backdate = act::back_dating(state);
    let earliest = Signal::derive(move || (!may_backdate.get()).then(|| today.get()));
    let end = membership.end();
    let preview = {
        let membership = membership.clone();
        move || {
            let (Some(from), Some(until)) = (from.get(), until.get()) else {
                return "Choose the first and the last frozen day.".to_owned();
            };
            if until < from {
                return "The last frozen day is before the first.".to_owned();
            }
            let freeze = Freeze { from, until };
            match (membership.end_with(freeze), end) {
                (Some(new_end), Some(end)) => format!(
                    "Frozen {} – {}: {} days. The membership then ends on {} (instead of {}).",
                    sentences::date(from),
                    sentences::date(until),
                    freeze.days(),
                    sentences::date(new_end),
                    sentences::date(end)
                ),
                _ => format!("Frozen {} days.", freeze.days()),
            }
        }
    };
    let new_end = {
        let membership = membership.clone();
        move || match (from.get(), until.get()) {
            (Some(from), Some(until)) if until >= from => {
                membership.end_with(Freeze { from, until }).map(|d| d.to_string())
            }
            _ => None,
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(from), Some(until)) = (from.get_untracked(), until.get_untracked()) else {
            problem.set(Some("Choose the first and the last frozen day.".into()));
            return;
        };
        let command = MemberCommand::FreezeMembership { membership: id, from, until, on: today.get_untracked() };
        act.run(command, problem, move || close.run(()));
    };
    view! {
        <form class="membership-form" data-testid="freeze-form" on:submit=submit novalidate>
            <DateInput name="freeze-from" scope=id.to_string() label="First frozen day" value=from min=earliest/>
            <DateInput name="freeze-until" scope=id.to_string() label="Last frozen day (back the day after)" value=until min=earliest/>
            <p class="preview" role="status" data-testid="freeze-preview" data-new-end=new_end>{preview}</p>
            <Problem problem/>
            <FormButtons confirm="Freeze" testid="freeze-confirm" close/>
        </form>
    }
}

#[component]
pub fn UnfreezeForm(act: Act, membership: Membership, today: Memo<Date>, close: Callback<()>) -> impl IntoView {
    let id = membership.id;
    let problem = RwSignal::new(None::<String>);
    let preview = move || {
        let today = today.get();
        let running = membership.freeze_on(today).copied();
        let planned = membership.freezes.iter().filter(|f| f.from > today).min_by_key(|f| f.from).copied();
        let Some(freeze) = running.or(planned) else { return "No freeze is running or planned.".to_owned() };
        // Days no longer frozen: from today on, or the whole planned freeze.
        let given_back = freeze.from.max(today).days_until(freeze.until) + 1;
        let new_end = membership.end().map(|end| sentences::date(end.add_days(-given_back)));
        let what = if running.is_some() && freeze.from < today {
            format!("The freeze ends: frozen until {}, back today.", sentences::date(today.add_days(-1)))
        } else {
            format!("The freeze of {} – {} is dropped.", sentences::date(freeze.from), sentences::date(freeze.until))
        };
        match new_end {
            Some(end) => format!("{what} The membership then ends on {end}."),
            None => what,
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act.run(MemberCommand::UnfreezeMembership { membership: id, on: today.get_untracked() }, problem, move || {
            close.run(())
        });
    };
    view! {
        <form class="membership-form" data-testid="unfreeze-form" on:submit=submit novalidate>
            <p class="preview" role="status" data-testid="unfreeze-preview">{preview}</p>
            <Problem problem/>
            <FormButtons confirm="Unfreeze" testid="unfreeze-confirm" close/>
        </form>
    }
}
