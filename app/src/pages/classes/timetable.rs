//! The timetable (`shared::timetable`): the week at `/classes` (with "Schedule a class" for
//! managers), today's classes on the dashboard, and a coach's own classes at `/my-classes`. Drawn
//! from the classes alone (never from the members), so a week of 500 classes renders the same with
//! 20,000 members on the device. The week's computation time (`performance.now()` around it) is on
//! the timetable as `data-compute-ms`, for the benchmark.

use super::{act, schedule::ScheduleForm};
use crate::{
    client::{Client, ClientState, StoreState},
    components::with_client::WithClient,
    format,
    pages::member::day,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use shared::{
    calendar::Date,
    timetable::{self, Slot},
};
use uuid::Uuid;

#[component]
pub fn ClassesPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <WeekPage client/> }/>
    }
}

#[component]
pub fn MyClassesPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <MyClasses state=client.state/> }/>
    }
}

/// Every class (uuid, state) the device holds.
fn each(
    state: ClientState,
    f: impl FnOnce(&mut dyn Iterator<Item = (Uuid, &shared::class::Class)>) -> Vec<Slot>,
) -> Vec<Slot> {
    state.classes.with(|all| f(&mut all.iter().map(|c| (c.id, &*c.class))))
}

#[component]
fn WeekPage(client: Client) -> impl IntoView {
    let state = client.state;
    let query = use_query_map();
    // Booking for a member chosen on their page: every class links to its booking form for them.
    let for_member = Memo::new(move |_| query.with(|q| q.get("member").and_then(|s| s.parse::<Uuid>().ok())));
    let monday = Memo::new(move |_| {
        let asked: Option<Date> = query.with(|q| q.get("week").and_then(|s| s.parse().ok()));
        timetable::monday_of(asked.unwrap_or_else(|| state.settings.with(day::today)))
    });
    let computed = Memo::new(move |_| {
        let monday = monday.get();
        let started = format::perf_now();
        let week = state.classes.with(|all| timetable::week(all.iter().map(|c| (c.id, &*c.class)), monday));
        (week, format::perf_now() - started)
    });
    let days = move || (0..7).map(|i| monday.get().add_days(i)).collect::<Vec<Date>>();
    let may_schedule = act::timetabling(state);
    let scheduling = RwSignal::new(false);
    let member_query = move || for_member.get().map(|m| format!("&member={m}")).unwrap_or_default();
    let week_href = move |days: i32| format!("/classes?week={}{}", monday.get().add_days(days), member_query());
    let navigate = use_navigate();
    let client_for_form = client.clone();
    let schedule = move || {
        let client = client_for_form.clone();
        let navigate = navigate.clone();
        scheduling.get().then(move || {
            let done = move |id: Uuid| navigate(&format!("/classes/{id}"), Default::default());
            view! { <ScheduleForm client initial=None on_scheduled=done on_close=move || scheduling.set(false)/> }
                .into_any()
        })
    };
    view! {
        <h1>"Classes"</h1>
        {move || for_member.get().map(|m| {
            let name = state.members.with(|all| all.iter().find(|r| r.id == m).map(|r| r.name.clone())).unwrap_or_default();
            view! {
                <p class="notice" role="status" data-testid="booking-for">
                    {format!("Booking a class for {name}: choose the class. ")}
                    <a href=format!("/members/{m}")>"Back to the member"</a>
                </p>
            }
        })}
        <nav class="week-nav form-buttons">
            <a class="button" data-testid="week-prev" href=move || week_href(-7)>"← Previous week"</a>
            <a class="button" data-testid="week-this" href=move || format!("/classes?{}", member_query().trim_start_matches('&'))>"This week"</a>
            <a class="button" data-testid="week-next" href=move || week_href(7)>"Next week →"</a>
            {move || (may_schedule.get() && !scheduling.get()).then(|| view! {
                <button type="button" class="primary" data-testid="schedule-class" on:click=move |_| scheduling.set(true)>
                    "Schedule a class"
                </button>
            })}
        </nav>
        {schedule}
        <section
            class="timetable"
            data-testid="timetable"
            data-week=move || monday.get().to_string()
            data-classes=move || computed.with(|(w, _)| w.iter().map(|d| d.slots.len()).sum::<usize>().to_string())
            data-compute-ms=move || computed.with(|(_, ms)| format!("{ms:.1}"))
        >
            <h2 data-testid="week-label">
                {move || {
                    let monday = monday.get();
                    format!("Week of {} – {}", format::day_label(monday), format::day_label(monday.add_days(6)))
                }}
            </h2>
            <For each=days key=|d| *d let:date>
                {
                    let slots = Memo::new(move |_| {
                        computed.with(|(w, _)| w.iter().find(|d| d.date == date).map(|d| d.slots.clone()).unwrap_or_default())
                    });
                    view! { <DaySlots state date slots for_member=Signal::from(for_member)/> }.into_any()
                }
            </For>
        </section>
    }
    .into_any()
}

/// One day of the timetable: its date, then its classes in order of their start.
#[component]
fn DaySlots(state: ClientState, date: Date, slots: Memo<Vec<Slot>>, for_member: Signal<Option<Uuid>>) -> impl IntoView {
    let today = state.settings.with_untracked(day::today);
    view! {
        <section class="timetable-day" data-testid="timetable-day" data-date=date.to_string()>
            <h3>{format::day_label(date)}{(date == today).then_some(" · today")}</h3>
            <SlotList state slots for_member empty="No classes."/>
        </section>
    }
}

/// Classes as a list, one row each (`class-row`), linking to the class's page.
#[component]
pub fn SlotList(
    state: ClientState,
    #[prop(into)] slots: Signal<Vec<Slot>>,
    #[prop(optional, into)] for_member: Signal<Option<Uuid>>,
    empty: &'static str,
    /// Each row names its day (a list over several days, as a coach's week).
    #[prop(optional)]
    dated: bool,
) -> impl IntoView {
    view! {
        <ul class="short-list classes">
            // While the club's data is still arriving (a first sign-in, a long catch-up), an empty
            // day says so rather than that the club has no class; not for the few events live
            // sync brings at any moment.
            {move || slots.with(Vec::is_empty).then(|| {
                let arriving = !state.store.with(StoreState::loaded)
                    || state.sync.with(|s| s.progress.is_some() || s.status.last_sync_ms.is_none());
                let text = if arriving { "Still receiving the club's classes…" } else { empty };
                view! { <li class="empty" data-testid="no-classes">{text}</li> }
            })}
            // Each row is drawn once, with no effect of its own but its coach's name: a week of 500
            // classes is 500 rows to build at a switch (the member booked for is in the key).
            <For
                each=move || {
                    let member = for_member.get();
                    slots.get().into_iter().map(|s| (s, member)).collect::<Vec<_>>()
                }
                key=|row| row.clone()
                children=move |(item, for_member)| view! { <SlotRow state item for_member dated/> }.into_any()
            />
        </ul>
    }
}

/// One class: when, what, who coaches, where, and how full.
#[component]
fn SlotRow(state: ClientState, item: Slot, for_member: Option<Uuid>, dated: bool) -> impl IntoView {
    let slot = item;
    let href = match for_member {
        Some(m) => format!("/classes/{}?member={m}", slot.class),
        None => format!("/classes/{}", slot.class),
    };
    let coach = slot.coach;
    let coach_name = move || {
        let name = state.staff_name(coach);
        if name.is_empty() {
            "a coach".to_owned()
        } else {
            name
        }
    };
    let places = places(&slot);
    view! {
        <li
            data-testid="class-row"
            data-class=slot.class.to_string()
            data-booked=slot.booked.to_string()
            data-capacity=slot.capacity.to_string()
            data-waiting=slot.waiting.to_string()
            class:cancelled=slot.cancelled.is_some()
            class:full=slot.full()
        >
            <a href=href>
                <span class="when">
                    {dated.then(|| format!("{} ", format::day_label(slot.day)))}
                    {format!("{}–{}", format::clock_of(slot.start_ms), format::clock_of(slot.end_ms))}
                </span>
                " "
                <strong class="title">{slot.title.clone()}</strong>
            </a>
            <span class="plan">
                {coach_name}
                {(!slot.room.is_empty()).then(|| format!(" · {}", slot.room))}
            </span>
            <span class="when" data-testid="class-places">{places}</span>
            {slot.cancelled.clone().map(|why| view! { <span class="tag cancelled" data-testid="class-cancelled-tag">{format!("cancelled: {why}")}</span> })}
        </li>
    }
}

/// "3/12 booked · 2 waiting", "12/12 booked · full"; a cancelled class holds nobody: "3 booked,
/// 1 waiting when cancelled (released)".
pub fn places(slot: &Slot) -> String {
    if slot.cancelled.is_some() {
        return released(slot.booked, slot.waiting);
    }
    let mut s = format!("{}/{} booked", slot.booked, slot.capacity);
    if slot.waiting > 0 {
        s += &format!(" · {} waiting", slot.waiting);
    } else if slot.full() {
        s += " · full";
    }
    s
}

/// Today's classes with their booked places, capacity and waitlist (a section of the dashboard).
#[component]
pub fn TodayClasses(state: ClientState, now: RwSignal<u64>) -> impl IntoView {
    let today = Memo::new(move |_| state.settings.with(|s| day::date_of(s, now.get())));
    let slots = Memo::new(move |_| {
        let today = today.get();
        each(state, |all| timetable::day(all, today))
    });
    view! {
        <h2>"Today's classes"</h2>
        <div data-testid="today-classes">
            <SlotList state slots empty="No classes today."/>
        </div>
        <p><a href="/classes">"The week's timetable"</a></p>
    }
}

/// A coach's own classes: today's, then the rest of this week's (where they take attendance).
#[component]
fn MyClasses(state: ClientState) -> impl IntoView {
    let now = day::ticking_now();
    let me = Memo::new(move |_| state.active().map(|s| s.staff()));
    let today = Memo::new(move |_| state.settings.with(|s| day::date_of(s, now.get())));
    let mine = move |from: Date, until: Date| {
        me.get().map(|me| each(state, |all| timetable::coach_classes(all, me, from, until))).unwrap_or_default()
    };
    let todays = Memo::new(move |_| {
        let today = today.get();
        mine(today, today)
    });
    let rest = Memo::new(move |_| {
        let today = today.get();
        mine(today.add_days(1), timetable::monday_of(today).add_days(6))
    });
    let next = Memo::new(move |_| {
        let monday = timetable::monday_of(today.get()).add_days(7);
        mine(monday, monday.add_days(6))
    });
    view! {
        <h1>"My classes"</h1>
        <p class="hint">"The classes you coach. Open one to take attendance."</p>
        <h2>"Today"</h2>
        <div data-testid="my-classes-today">
            <SlotList state slots=todays empty="No class of yours today."/>
        </div>
        <h2>"Later this week"</h2>
        <div data-testid="my-classes-week">
            <SlotList state slots=rest empty="No more classes of yours this week." dated=true/>
        </div>
        <h2>"Next week"</h2>
        <div data-testid="my-classes-next">
            <SlotList state slots=next empty="No class of yours next week." dated=true/>
        </div>
    }
    .into_any()
}

/// What a cancellation released: "no bookings", "3 booked, 1 waiting when cancelled (released)".
pub fn released(booked: usize, waiting: usize) -> String {
    match (booked, waiting) {
        (0, 0) => "no bookings".to_owned(),
        (b, 0) => format!("{b} booked when cancelled (released)"),
        (b, w) => format!("{b} booked, {w} waiting when cancelled (released)"),
    }
}
