//! The member's latest check-ins that count, with a manager's void (kept in the timeline, struck
//! through) and a manager's back-dated check-in.

use super::{
    act::{self, Act, Problem},
    day,
    fields::{DateInput, TextInput},
};
use crate::{
    client::{ClientState, MemberRow},
    format, sentences,
};
use leptos::{either::Either, prelude::*};
use shared::member::{MemberCommand, Verdict};

/// One check-in as the list shows it.
#[derive(Clone, Debug, PartialEq)]
struct Visit {
    at_ms: u64,
    /// The membership it used ("" for an override, which uses none).
    on: String,
}

#[component]
pub fn Visits(state: ClientState, act: Act, member: Memo<Option<MemberRow>>) -> impl IntoView {
    let may_void = act::voiding(state);
    let may_backdate = act::back_dating(state);
    // Newest first.
    let visits = Memo::new(move |_| {
        member.with(|m| {
            let Some(m) = m.as_ref() else { return vec![] };
            let member = &m.member;
            member
                .recent_check_ins
                .iter()
                .rev()
                .map(|c| Visit {
                    at_ms: c.at_ms,
                    on: c
                        .membership
                        .and_then(|id| member.membership(id))
                        .map(|m| m.terms.name.clone())
                        .unwrap_or_default(),
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <section class="visits" data-testid="visits">
            <h2>"Check-ins"</h2>
            {move || visits.with(Vec::is_empty).then(|| view! { <p class="empty">"No check-ins that count."</p> })}
            <ol class="check-ins">
                <For each=move || visits.get() key=|v| v.at_ms let:v>
                    {view! { <VisitRow act visit=v may_void/> }.into_any()}
                </For>
            </ol>
            {move || may_backdate.get().then(|| view! { <Backdate state act member/> }.into_any())}
        </section>
    }
}

#[component]
fn VisitRow(act: Act, visit: Visit, may_void: Memo<bool>) -> impl IntoView {
    let at_ms = visit.at_ms;
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let void = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act.run(MemberCommand::VoidCheckIn { at_ms, reason: reason.get_untracked() }, problem, move || open.set(false));
    };
    let on = if visit.on.is_empty() { "let in by a manager's override (no visit used)".to_owned() } else { visit.on };
    view! {
        <li data-testid="visit" data-at=at_ms.to_string()>
            <time>{format::time_of(at_ms)}</time>
            <span class="on">{on}</span>
            {move || (may_void.get() && !open.get()).then(|| view! {
                <button type="button" data-testid="void" on:click=move |_| { open.set(true); problem.set(None); }>"Void…"</button>
            })}
            {move || open.get().then(|| view! {
                <form class="void-form" data-testid="void-form" on:submit=void novalidate>
                    <TextInput name="void-reason" scope=at_ms.to_string() label="Why void this check-in? (it stays in the timeline, struck through)" value=reason/>
                    <Problem problem/>
                    <button type="submit" class="danger" data-testid="void-confirm">"Void check-in"</button>
                    <button type="button" on:click=move |_| { open.set(false); problem.set(None); }>"Back"</button>
                </form>
            })}
        </li>
    }
}

/// A check-in that happened earlier and was not recorded then (managers).
#[component]
fn Backdate(state: ClientState, act: Act, member: Memo<Option<MemberRow>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let today = state.settings.with_untracked(day::today);
    let date = RwSignal::new(Some(today));
    let time = RwSignal::new(String::new());
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let done = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(on), Some(minute)) = (date.get_untracked(), minute_of(&time.get_untracked())) else {
            problem.set(Some("Choose the day and the time (HH:MM) the member came in.".into()));
            return;
        };
        let at_ms = match state.club_instant(on, minute) {
            Ok(ms) => ms,
            Err(why) => return problem.set(Some(why)),
        };
        let rules = state.settings.with_untracked(|s| s.entry_rules());
        // The entry decision as it stood then: the membership it used, or why it would be refused.
        let Some(entry) = member.with_untracked(|m| m.as_ref().map(|m| m.member.entry(at_ms, on, &rules))) else {
            return;
        };
        let membership = match (entry.verdict, entry.membership) {
            (Verdict::Deny(denial), _) => {
                problem.set(Some(format!("Not possible on that day: {}.", sentences::denial(&denial, &rules))));
                return;
            }
            (_, Some(membership)) => membership,
            (_, None) => return,
        };
        let command = MemberCommand::RecordPastCheckIn { at_ms, on, membership, reason: reason.get_untracked(), rules };
        act.run(command, problem, move || {
            open.set(false);
            done.set(true);
            reason.set(String::new());
        });
    };
    view! {
        <div class="backdate">
            {move || if open.get() {
                Either::Left(view! {
                    <form class="card" data-testid="backdate-form" on:submit=submit novalidate>
                        <DateInput name="backdate-day" scope="member" label="Day" value=date/>
                        <label for="backdate-time">"Time (club time)"</label>
                        <input id="backdate-time" type="time" data-testid="backdate-time" prop:value=time
                            on:input=move |ev| time.set(event_target_value(&ev))/>
                        <TextInput name="backdate-reason" scope="member" label="Why was it not recorded then?" value=reason/>
                        <Problem problem/>
                        <button type="submit" class="primary" data-testid="backdate-confirm">"Record past check-in"</button>
                        <button type="button" on:click=move |_| { open.set(false); problem.set(None); }>"Close"</button>
                    </form>
                })
            } else {
                Either::Right(view! {
                    <button type="button" data-testid="backdate" on:click=move |_| { open.set(true); done.set(false); }>
                        "Record a past check-in…"
                    </button>
                })
            }}
            {move || done.get().then(|| view! { <p class="notice ok" role="status" data-testid="backdated">"Past check-in recorded"</p> })}
        </div>
    }
}

/// "14:05" → minutes after midnight.
pub(crate) fn minute_of(typed: &str) -> Option<u32> {
    let (h, m) = typed.trim().split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}
