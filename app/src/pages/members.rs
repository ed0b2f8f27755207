use super::member::day;
use crate::{
    client::{Client, MemberRow},
    collate,
    components::with_client::WithClient,
    format, sentences,
};
use leptos::{prelude::*, task::spawn_local};
use shared::{
    calendar::Date,
    member::{Denial, Member, MemberCommand, Status, Verdict},
    search::SearchQuery,
    Command, StreamId,
};
use uuid::Uuid;

/// Results shown at once; the search narrows the rest down.
const SHOWN: usize = 100;

/// The front desk's home: find a member as you type, check them in with one tap.
#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <MemberSearch client/> }/>
    }
}

/// The outcome of a quick check-in, shown in that member's row until the search changes.
#[derive(Clone, Debug, PartialEq)]
struct RowNotice {
    member: Uuid,
    ok: bool,
    text: String,
}

/// The members, in collation order by name. Each stage reruns only when its input changed: the
/// distinct names when rows change, their collation only when the names changed (not on every
/// check-in), the order of rows when either changed; a keystroke only filters.
fn sorted_members(members: RwSignal<Vec<MemberRow>>) -> Memo<Vec<usize>> {
    let names = Memo::new(move |_| {
        members.with(|all| {
            let mut names: Vec<String> = all.iter().map(|m| m.name.clone()).collect();
            names.sort_unstable();
            names.dedup();
            names
        })
    });
    let ranks = Memo::new(move |_| names.with(|names| collate::ranks(names)));
    Memo::new(move |_| {
        names.with(|names| {
            ranks.with(|ranks| {
                members.with(|all| {
                    let mut order: Vec<usize> = (0..all.len()).collect();
                    order.sort_by_cached_key(|&i| (collate::rank_of(names, ranks, &all[i].name), all[i].id));
                    order
                })
            })
        })
    })
}

#[component]
fn MemberSearch(client: Client) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let show_archived = RwSignal::new(false);
    let notice = RwSignal::new(None::<RowNotice>);
    let members = client.state.members;
    let sync = client.state.sync;
    let order = sorted_members(members);
    // Staff look for someone the moment the page opens.
    let search = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = search.get() {
            let _ = input.focus();
        }
    });
    // The first SHOWN hits (in order) and how many there are.
    let found = Memo::new(move |_| {
        let query = SearchQuery::new_with(&query.get(), &mut collate::base_letter);
        let archived = show_archived.get();
        members.with(|all| {
            order.with(|order| {
                let mut hits =
                    order.iter().map(|&i| &all[i]).filter(|m| (archived || !m.archived) && query.matches(&m.search));
                let shown: Vec<MemberRow> = hits.by_ref().take(SHOWN).cloned().collect();
                let total = shown.len() + hits.count();
                (shown, total)
            })
        })
    });
    let api = client.api();
    let state = client.state;
    let check_in = move |m: MemberRow| {
        let api = api.clone();
        let succeeded = notice.with_untracked(|n| n.as_ref().is_some_and(|n| n.member == m.id && n.ok));
        // The entry decision, as the member's page shows it; the member as they are now (the
        // row's copy may be older than a tap ago).
        let now = format::now_ms();
        let (today, rules) = state.settings.with_untracked(|s| (day::date_of(s, now), s.entry_rules()));
        let member = members.with_untracked(|all| all.iter().find(|r| r.id == m.id).map(|r| r.member.clone()));
        let entry = member.unwrap_or(m.member.clone()).entry(now, today, &rules);
        let membership = match (entry.verdict, entry.membership) {
            // A double tap: the first one's success stays.
            (Verdict::Deny(denial), _) if succeeded && sentences::repeats_a_check_in_denial(&denial, now) => return,
            (Verdict::Deny(Denial::AlreadyCheckedIn { at_ms }), _) => {
                let text = sentences::already_checked_in(at_ms, rules.window_ms);
                notice.set(Some(RowNotice { member: m.id, ok: false, text }));
                return;
            }
            (Verdict::Deny(denial), _) => {
                let text = format!("Not let in: {}.", sentences::denial(&denial, &rules));
                notice.set(Some(RowNotice { member: m.id, ok: false, text }));
                return;
            }
            (_, Some(membership)) => membership,
            (_, None) => return,
        };
        spawn_local(async move {
            let command = MemberCommand::CheckIn { on: today, membership, rules };
            let outcome = api.execute(StreamId::member(m.id), Command::Member(command)).await;
            let succeeded = notice.with_untracked(|n| n.as_ref().is_some_and(|n| n.member == m.id && n.ok));
            notice.set(Some(match outcome {
                Ok(()) => RowNotice { member: m.id, ok: true, text: format!("{} checked in", m.name) },
                // A double tap: the first one's success stays.
                Err(e) if succeeded && sentences::repeats_a_check_in(&e) => return,
                Err(e) => RowNotice { member: m.id, ok: false, text: sentences::refusal(&e) },
            }));
        });
    };
    let check_in = StoredValue::new_local(check_in);
    // Only what the role of the staff member at the desk allows is offered.
    let may_check_in = super::member::act::checking_in(state);
    // The club's day, for the status of each shown row (computed only for rows on screen).
    let today = Memo::new(move |_| state.settings.with(day::today));
    let may_register = state.permits(Command::Member(super::register::blank_registration()));
    view! {
        <h1>"Members"</h1>
        <div class="search">
            <label for="member-search">"Search members"</label>
            <input
                node_ref=search
                id="member-search"
                type="search"
                placeholder="Name, e-mail or phone"
                autocomplete="off"
                prop:value=query
                on:input=move |ev| {
                    // A message belongs to the search it was given in.
                    notice.set(None);
                    query.set(event_target_value(&ev));
                }
            />
            <label class="inline">
                <input type="checkbox" prop:checked=show_archived on:change=move |ev| show_archived.set(event_target_checked(&ev))/>
                " Show archived"
            </label>
            {move || may_register.get().then(|| view! { <a class="button" href="/members/new">"Register a member"</a> })}
        </div>
        <p
            class="count"
            data-testid="member-count"
            data-total=move || members.with(|all| all.iter().filter(|m| !m.archived).count()).to_string()
        >
            {move || {
                let n = found.with(|(_, total)| *total);
                let all = members.with(|all| all.iter().filter(|m| !m.archived).count());
                if n > SHOWN {
                    format!("{SHOWN} of {} shown — type to narrow down", format::count(n as u64))
                } else {
                    format!("{} of {} members", format::count(n as u64), format::count(all as u64))
                }
            }}
        </p>
        {move || {
            let behind = sync.with(|s| s.to_receive());
            (behind > 0).then(|| view! {
                <p class="notice" role="status" data-testid="members-incomplete">
                    {format!(
                        "This device has not received everything yet ({} to come): someone missing here may still arrive.",
                        format::changes(behind),
                    )}
                </p>
            })
        }}
        <ul class="member-list" data-testid="member-list">
            <For
                each=move || found.get().0
                // A row is made again when its member changes (the runtime replaces a changed
                // member's state, and only theirs).
                key=|m| (m.id, std::sync::Arc::as_ptr(&m.member) as usize, m.pending)
                let:m
            >
                <li class:archived=m.archived data-testid="member-row" data-member=m.id.to_string()>
                    <a class="member-link" href=format!("/members/{}", m.id)>
                        <strong>{m.name.clone()}</strong>
                        <span class="contact">{[m.email.clone(), m.phone.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}</span>
                    </a>
                    <span class="last">{m.last_check_in_ms.map(|t| format!("checked in {}", format::ago(t)))}</span>
                    {(!m.archived).then(|| {
                        let member = m.member.clone();
                        move || {
                            let (code, label) = standing(&member, today.get());
                            view! { <span class=format!("tag standing {code}") data-testid="member-standing" data-standing=code>{label}</span> }
                        }
                    })}
                    {(m.pending > 0).then(|| view! { <span class="tag pending">"pending"</span> })}
                    {m.archived.then(|| view! { <span class="tag">"archived"</span> })}
                    {(!m.archived).then(|| {
                        let m = m.clone();
                        move || may_check_in.get().then(|| {
                            let m = m.clone();
                            view! {
                                <button class="quick-check-in" on:click=move |_| check_in.with_value(|f| f(m.clone()))>"Check in"</button>
                            }
                        })
                    })}
                    {move || notice.get().filter(|n| n.member == m.id).map(|n| view! {
                        <p class={if n.ok { "row-notice ok" } else { "row-notice error" }} role="status" data-testid="row-notice">{n.text}</p>
                    })}
                </li>
            </For>
        </ul>
    }
}

/// A member's standing for the list: blocked, or the status of their best membership today
/// ("active", "frozen", "expired", "no membership"). Cheap: a few memberships, for shown rows only.
fn standing(member: &Member, today: Date) -> (&'static str, &'static str) {
    if member.blocked.is_some() {
        return ("blocked", "blocked");
    }
    // The order in which a status says the most about whether they may come in.
    let rank = |s: Status| match s {
        Status::Active => 0,
        Status::Frozen => 1,
        Status::NotStarted => 2,
        Status::NoVisitsLeft => 3,
        Status::Expired => 4,
        Status::Cancelled => 5,
    };
    match member.memberships.iter().map(|m| m.status(today).0).min_by_key(|s| rank(*s)) {
        Some(status) => (super::member::memberships::status_code(status), status.label()),
        None => ("none", "no membership"),
    }
}
