//! The desk's entry decision for the member, computed on this device: allow, warn or deny with
//! the reason, the membership it uses, and how fresh the data is; the check-in button, and a
//! manager's override of a deny.

use super::{
    act::{self, Act, Problem},
    day,
};
use crate::{
    client::{ClientState, MemberRow},
    format, sentences,
};
use leptos::{either::Either, prelude::*};
use shared::member::{Denial, Entry, EntryRules, Member, MemberCommand, Membership, Verdict};

/// The decision now, the club-local day it is for and the rules it used.
#[derive(Clone, Debug, PartialEq)]
struct Decision {
    entry: Entry,
    today: shared::calendar::Date,
    rules: EntryRules,
    membership: Option<Membership>,
}

fn decide(state: ClientState, member: &Member) -> Decision {
    let now = format::now_ms();
    let (today, rules) = state.settings.with(|s| (day::date_of(s, now), s.entry_rules()));
    let entry = member.entry(now, today, &rules);
    let membership = entry.membership.and_then(|id| member.membership(id)).cloned();
    Decision { entry, today, rules, membership }
}

/// "allow", "warn" or "deny" (for styles and tests).
fn kind(verdict: &Verdict) -> &'static str {
    match verdict {
        Verdict::Allow => "allow",
        Verdict::Warn(_) => "warn",
        Verdict::Deny(_) => "deny",
    }
}

#[component]
pub fn EntryDecision(
    state: ClientState,
    act: Act,
    member: Memo<Option<MemberRow>>,
    waiting: Signal<usize>,
) -> impl IntoView {
    let now = day::ticking_now();
    let decision = Memo::new(move |_| {
        now.track();
        state.settings.track();
        member.with(|m| m.as_ref().map(|m| decide(state, &m.member)))
    });
    let message = RwSignal::new(None::<(bool, String)>);
    let problem = RwSignal::new(None::<String>);
    super::decided::clear_when_more(waiting, move || message.set(None));
    let may_check_in = act::checking_in(state);
    let may_override = act::overriding(state);
    let check_in = move |_| {
        let Some(d) = member.with_untracked(|m| m.as_ref().map(|m| decide(state, &m.member))) else { return };
        let succeeded = message.with_untracked(|m| matches!(m, Some((true, _))));
        let membership = match d.entry.verdict {
            // A double tap: the first one's "Checked in" stays.
            Verdict::Deny(denial) if succeeded && sentences::repeats_a_check_in_denial(&denial, format::now_ms()) => {
                return
            }
            Verdict::Deny(denial) => {
                message.set(Some((false, format!("Not let in: {}.", sentences::denial(&denial, &d.rules)))));
                return;
            }
            _ => d.entry.membership,
        };
        let Some(membership) = membership else { return };
        let command = MemberCommand::CheckIn { on: d.today, membership, rules: d.rules };
        act.execute(command, move |outcome| match outcome {
            Ok(()) => message.set(Some((true, "Checked in".into()))),
            // A double tap decided before the first one was stored: its "Checked in" stays.
            Err(e) if sentences::repeats_a_check_in(&e) && message.with_untracked(|m| matches!(m, Some((true, _)))) => {
            }
            Err(e) => message.set(Some((false, sentences::refusal(&e)))),
        });
    };
    view! {
        <section class="entry-decision" data-testid="entry-panel">
            {move || decision.get().map(|d| panel(state, d))}
            {move || {
                let denied = decision.with(|d| d.as_ref().is_none_or(|d| matches!(d.entry.verdict, Verdict::Deny(_))));
                may_check_in.get().then(|| view! {
                    <button class="big check-in" data-testid="check-in" disabled=denied on:click=check_in>"Check in"</button>
                })
            }}
            {move || message.get().map(|(ok, text)| view! {
                <p class={if ok { "notice ok" } else { "notice error" }} role="status" data-testid="member-message">{text}</p>
            })}
            {move || {
                let denial = decision.with(|d| match d.as_ref().map(|d| d.entry.verdict) {
                    Some(Verdict::Deny(denial)) if !matches!(denial, Denial::AlreadyCheckedIn { .. }) => Some(denial),
                    _ => None,
                });
                (may_override.get() && denial.is_some()).then(|| view! { <Override state act message problem/> })
            }}
        </section>
    }
}

fn panel(state: ClientState, d: Decision) -> impl IntoView {
    let class = kind(&d.entry.verdict);
    let (headline, reason, code) = match &d.entry.verdict {
        Verdict::Allow => ("Let in".to_owned(), None, "allow"),
        Verdict::Warn(w) => ("Let in, but note:".to_owned(), Some(sentences::warning(w)), "warn"),
        Verdict::Deny(denial) => {
            ("Do not let in:".to_owned(), Some(sentences::denial(denial, &d.rules)), denial.code())
        }
    };
    let membership = d.membership.as_ref().map(|m| membership_line(m, d.today));
    view! {
        <div class=format!("entry {class}") data-testid="entry" data-verdict=class data-reason=code role="status">
            <p class="verdict">
                <strong data-testid="entry-verdict">{headline}</strong>
                {reason.map(|r| view! { " " <span data-testid="entry-reason">{r}</span> })}
            </p>
            {membership.map(|line| view! { <p class="entry-membership" data-testid="entry-membership">{line}</p> })}
            <p class="as-of" data-testid="entry-as-of">{move || as_of(state)}</p>
        </div>
    }
}

/// The membership a decision names: "10-visit card · 3 of 10 visits left · until 3 Dec 2026".
pub fn membership_line(m: &Membership, today: shared::calendar::Date) -> String {
    let visits = match (m.visits_left(), m.terms.visits.count()) {
        (Some(left), Some(of)) => format!("{left} of {of} visits left"),
        _ => "unlimited visits".to_owned(),
    };
    let until = match (m.start, m.end()) {
        (Some(start), _) if start > today => format!("starts {}", sentences::date(start)),
        (_, Some(end)) => format!("until {}", sentences::date(end)),
        _ => format!("starts on its first visit (by {})", sentences::date(m.activate_by())),
    };
    format!("{} · {visits} · {until}", m.terms.name)
}

/// "Data as of 14:02 (last confirmed sync) · 2 changes not yet confirmed".
fn as_of(state: ClientState) -> String {
    state.sync.with(|s| {
        let mut text = match s.status.last_sync_ms {
            Some(ms) => format!("Data as of {} (last confirmed sync)", format::time_of(ms)),
            None => "Data as of: never confirmed by the server".to_owned(),
        };
        match s.counts.pending {
            0 => {}
            1 => text.push_str(" · 1 change not yet confirmed"),
            n => text.push_str(&format!(" · {n} changes not yet confirmed")),
        }
        let behind = s.to_receive();
        if behind > 0 {
            text.push_str(&format!(" · {} not received yet", format::changes(behind)));
        }
        text
    })
}

/// "Let in anyway", with the reason the log keeps (a manager's permission).
#[component]
fn Override(
    state: ClientState,
    act: Act,
    message: RwSignal<Option<(bool, String)>>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let now = format::now_ms();
        let (on, rules) = state.settings.with(|s| (day::date_of(s, now), s.entry_rules()));
        let command = MemberCommand::OverrideEntry { on, reason: reason.get_untracked(), rules };
        act.run(command, problem, move || {
            open.set(false);
            reason.set(String::new());
            message.set(Some((true, "Let in anyway: the override is recorded".into())));
        });
    };
    move || {
        if !open.get() {
            return Either::Left(view! {
                <button type="button" class="override" data-testid="override" on:click=move |_| { open.set(true); problem.set(None); }>
                    "Let in anyway…"
                </button>
            });
        }
        Either::Right(view! {
            <form class="card override-form" data-testid="override-form" on:submit=submit novalidate>
                <label for="override-reason">"Why let them in anyway? (kept in the timeline)"</label>
                <input id="override-reason" type="text" autocomplete="off" prop:value=reason
                    on:input=move |ev| reason.set(event_target_value(&ev))/>
                <Problem problem/>
                <button type="submit" class="primary" data-testid="override-confirm">"Let in anyway"</button>
                <button type="button" on:click=move |_| { open.set(false); problem.set(None); }>"Back"</button>
            </form>
        })
    }
}
