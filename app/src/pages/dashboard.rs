//! The desk's home: who is in the club now, today's check-ins and classes (booked, capacity,
//! waitlist), memberships expiring within two weeks, cards nearly used up, and what waits in the inbox (`shared::dashboard`), computed on this
//! device from the members it holds. The computation's time (`performance.now()` around it) is on
//! the root element as `data-compute-ms`, for the benchmark.

use crate::{
    client::{Client, ClientState},
    components::with_client::WithClient,
    format,
};
use leptos::prelude::*;
use shared::dashboard::{self, Dashboard, Day, Inputs, Waiting, EXPIRING_WITHIN_DAYS, FEW_VISITS};
use std::time::Duration;

/// Entries shown per list; the numbers count them all.
const SHOWN: usize = 12;

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <Board client/> }/>
    }
}

/// "Now", read again every 30 s: people are checked out automatically, and the club's day ends,
/// without anything else changing.
fn ticking_now() -> RwSignal<u64> {
    let now = RwSignal::new(format::now_ms());
    if let Ok(handle) = set_interval_with_handle(move || now.set(format::now_ms()), Duration::from_secs(30)) {
        on_cleanup(move || handle.clear());
    }
    now
}

/// The dashboard, its day, and how long computing it took (ms).
fn computed(state: ClientState, now: RwSignal<u64>) -> Memo<(Dashboard, Day, f64)> {
    // Only the counts the dashboard shows: the sync status changes far more often.
    let waiting = Memo::new(move |_| {
        state.sync.with(|s| Waiting { corrections: s.counts.corrected, conflicts: s.counts.rejected })
    });
    Memo::new(move |_| {
        let now_ms = now.get();
        let waiting = waiting.get();
        state.settings.with(|settings| {
            state.members.with(|members| {
                state.check_ins_today.with(|check_ins| {
                    let started = format::perf_now();
                    let today = Day::at(&format::club_zone(settings), now_ms);
                    let inputs = Inputs { today, now_ms, settings, waiting };
                    let board = dashboard::compute(
                        members.iter().map(|m| (m.id, &*m.member)),
                        check_ins.iter().map(|c| c.at_ms),
                        &inputs,
                    );
                    (board, today, format::perf_now() - started)
                })
            })
        })
    })
}

#[component]
fn Board(client: Client) -> impl IntoView {
    let state = client.state;
    let now = ticking_now();
    let computed = computed(state, now);
    let board = Memo::new(move |_| computed.with(|(b, _, _)| b.clone()));
    let sync = state.sync;
    let zone = Memo::new(move |_| state.settings.with(|s| s.time_zone.clone()));
    view! {
        <section
            class="dashboard"
            data-testid="dashboard"
            data-compute-ms=move || computed.with(|(_, _, ms)| format!("{ms:.1}"))
            data-members=move || state.members.with(Vec::len).to_string()
        >
            <h1>"Dashboard"</h1>
            <p class="hint" data-testid="dashboard-day">
                {move || computed.with(|(_, day, _)| format::day_label(day.date))}
                // In the zone of the settings as they are now; none until they are the club's.
                {move || {
                    if !state.settings_known() {
                        return " · club time: waiting for the club's settings".to_owned();
                    }
                    let now = now.get();
                    let time = state.settings.with(|s| format::time_in(&format::club_zone(s), now, now));
                    format!(" · club time {time} ({})", zone.get())
                }}
            </p>
            {move || {
                let behind = sync.with(|s| s.to_receive());
                (behind > 0).then(|| view! {
                    <p class="notice" role="status" data-testid="dashboard-incomplete">
                        {format!(
                            "This device has not received everything yet ({} to come): the numbers may still change.",
                            format::changes(behind),
                        )}
                    </p>
                })
            }}
            <div class="stats">
                <Stat testid="stat-in-club" label="in the club now" count=Signal::derive(move || board.with(|b| b.in_club.len()))/>
                <Stat testid="stat-check-ins" label="check-ins today" href="/check-ins"
                    count=Signal::derive(move || board.with(|b| b.check_ins_today as usize))/>
                <Stat testid="stat-expiring" label="memberships expiring within 14 days"
                    count=Signal::derive(move || board.with(|b| b.expiring.len()))/>
                <Stat testid="stat-few-visits" label="cards with 2 visits or fewer left"
                    count=Signal::derive(move || board.with(|b| b.few_visits.len()))/>
                <Stat testid="stat-waiting" label="corrections and conflicts waiting" href="/inbox"
                    count=Signal::derive(move || board.with(|b| (b.waiting.corrections + b.waiting.conflicts) as usize))/>
            </div>
            {view! { <crate::pages::classes::TodayClasses state now/> }.into_any()}
            <Lists board/>
        </section>
    }
    .into_any()
}

#[component]
fn Stat(
    testid: &'static str,
    label: &'static str,
    count: Signal<usize>,
    #[prop(optional)] href: Option<&'static str>,
) -> impl IntoView {
    let inner = move || {
        view! {
            <span class="number">{move || format::count(count.get() as u64)}</span>
            <span class="label">{label}</span>
        }
    };
    match href {
        Some(href) => view! { <a class="stat" href=href data-testid=testid data-count=move || count.get().to_string()>{inner()}</a> }.into_any(),
        None => view! { <div class="stat" data-testid=testid data-count=move || count.get().to_string()>{inner()}</div> }.into_any(),
    }
}

/// The short lists, each entry a link to the member; a long one shows its first entries until
/// staff ask for all of them.
#[component]
fn Lists(board: Memo<Dashboard>) -> impl IntoView {
    let all = [RwSignal::new(false), RwSignal::new(false), RwSignal::new(false)];
    let shown = move |list: usize| if all[list].get() { usize::MAX } else { SHOWN };
    let more = move |list: usize, n: usize| {
        (n > shown(list)).then(|| {
            view! {
                <li class="more">
                    <button type="button" class="link" data-testid="show-all" on:click=move |_| all[list].set(true)>
                        {format!("Show all {}", format::count(n as u64))}
                    </button>
                </li>
            }
        })
    };
    view! {
        <h2>"In the club now"</h2>
        <ul class="short-list" data-testid="in-club">
            {move || board.with(|b| {
                if b.in_club.is_empty() {
                    return view! { <li class="empty">"Nobody checked in within the automatic check-out time."</li> }.into_any();
                }
                view! {
                    {b.in_club.iter().take(shown(0)).map(|c| view! {
                        <li data-member=c.member.to_string()>
                            <a href=format!("/members/{}", c.member)>{c.name.clone()}</a>
                            <span class="when">{format!("since {} · out by {}", format::time_of(c.since_ms), format::time_of(c.until_ms))}</span>
                        </li>
                    }).collect_view()}
                    {more(0, b.in_club.len())}
                }.into_any()
            })}
        </ul>
        <h2>{format!("Expiring within {EXPIRING_WITHIN_DAYS} days")}</h2>
        <ul class="short-list" data-testid="expiring">
            {move || board.with(|b| {
                if b.expiring.is_empty() {
                    return view! { <li class="empty">"No membership ends in the next two weeks."</li> }.into_any();
                }
                view! {
                    {b.expiring.iter().take(shown(1)).map(|e| {
                        let when = match e.in_days {
                            0 => "last day today".to_owned(),
                            1 => format!("last day tomorrow, {}", format::day_label(e.last_day)),
                            n => format!("last day {} (in {n} days)", format::day_label(e.last_day)),
                        };
                        view! {
                            <li data-member=e.member.to_string() data-membership=e.membership.to_string()>
                                <a href=format!("/members/{}", e.member)>{e.name.clone()}</a>
                                <span class="plan">{e.plan.clone()}</span>
                                <span class="when">{when}</span>
                            </li>
                        }
                    }).collect_view()}
                    {more(1, b.expiring.len())}
                }.into_any()
            })}
        </ul>
        <h2>{format!("Cards with {FEW_VISITS} visits or fewer left")}</h2>
        <ul class="short-list" data-testid="few-visits">
            {move || board.with(|b| {
                if b.few_visits.is_empty() {
                    return view! { <li class="empty">"No active card is nearly used up."</li> }.into_any();
                }
                view! {
                    {b.few_visits.iter().take(shown(2)).map(|c| view! {
                        <li data-member=c.member.to_string() data-membership=c.membership.to_string()>
                            <a href=format!("/members/{}", c.member)>{c.name.clone()}</a>
                            <span class="plan">{c.plan.clone()}</span>
                            <span class="when">{if c.left == 1 { "1 visit left".to_owned() } else { format!("{} visits left", c.left) }}</span>
                        </li>
                    }).collect_view()}
                    {more(2, b.few_visits.len())}
                }.into_any()
            })}
        </ul>
        <h2>"Waiting for a person"</h2>
        <p data-testid="waiting">
            {move || board.with(|b| {
                let Waiting { corrections, conflicts } = b.waiting;
                if corrections + conflicts == 0 {
                    "Nothing: no correction or conflict waits.".to_owned()
                } else {
                    format!(
                        "{} and {} wait in the inbox.",
                        if corrections == 1 { "1 correction".to_owned() } else { format!("{corrections} corrections") },
                        if conflicts == 1 { "1 conflict".to_owned() } else { format!("{conflicts} conflicts") },
                    )
                }
            })}
            " "
            <a href="/inbox">"Open the inbox"</a>
        </p>
    }
    .into_any()
}
