//! Scheduling a class, and rescheduling one (managers): title, coach, date and start in the club's
//! time zone, duration, capacity, room. A new class keeps the club's cutoffs as they are now
//! (`ClubSettings::cutoffs`).
//!
//! The coach is chosen among the staff this device knows: the club's list as the server last gave
//! it (kept for offline) and everyone signed in here. A class names its coach by staff id (the
//! server holds a coach to their own classes by it), so a typed name could not stand for one.

use super::act::{self, ClassAct};
use crate::{
    client::Client,
    pages::member::{
        act::Problem,
        day,
        fields::{DateInput, TextInput},
        visits::minute_of,
    },
};
use leptos::prelude::*;
use shared::{
    access::StaffId,
    class::{Class, ClassCommand, ClassDetails},
};
use std::sync::Arc;
use uuid::Uuid;

/// The form; `initial` is the class being rescheduled (none: a new class). `on_scheduled` hears
/// the id of the class once stored.
#[component]
pub fn ScheduleForm(
    client: Client,
    initial: Option<(Uuid, Arc<Class>)>,
    on_scheduled: impl Fn(Uuid) + Clone + 'static,
    on_close: impl Fn() + Copy + 'static,
) -> impl IntoView {
    let state = client.state;
    let settings = state.settings;
    let details = initial.as_ref().and_then(|(_, c)| c.details.clone());
    let title = RwSignal::new(details.as_ref().map(|d| d.title.clone()).unwrap_or_default());
    let known = state.known_staff();
    let coach = RwSignal::new(details.as_ref().map(|d| d.coach).or_else(|| known.first().map(|s| s.staff)));
    let date =
        RwSignal::new(Some(details.as_ref().map(|d| d.day).unwrap_or_else(|| settings.with_untracked(day::today))));
    let time =
        RwSignal::new(details.as_ref().map(|d| crate::format::clock_of(d.start_ms)).unwrap_or_else(|| "18:00".into()));
    let duration = RwSignal::new(details.as_ref().map_or(60, |d| d.duration_min).to_string());
    let capacity = RwSignal::new(details.as_ref().map_or(12, |d| d.capacity).to_string());
    let room = RwSignal::new(details.as_ref().map(|d| d.room.clone()).unwrap_or_default());
    let problem = RwSignal::new(None::<String>);
    // A start that has passed is asked about once (a typo of the day, usually); the same start
    // submitted again is meant (a class held already, entered for its attendance).
    let past_confirmed = RwSignal::new(None::<u64>);
    let rescheduling = initial.is_some();
    let existing = StoredValue::new(initial);
    let client = StoredValue::new(client);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(on), Some(minute)) = (date.get_untracked(), minute_of(&time.get_untracked())) else {
            problem.set(Some("Choose the day and the start time (HH:MM, club time).".into()));
            return;
        };
        let Some(coach) = coach.get_untracked() else {
            problem.set(Some("Choose the coach.".into()));
            return;
        };
        let number = |s: RwSignal<String>| s.get_untracked().trim().parse::<u32>().ok();
        let (Some(duration_min), Some(capacity)) = (number(duration), number(capacity)) else {
            problem.set(Some("Write the duration and the capacity as whole numbers.".into()));
            return;
        };
        let start_ms = match state.club_instant(on, minute) {
            Ok(ms) => ms,
            Err(why) => return problem.set(Some(why)),
        };
        let (cutoffs, rules) = settings.with_untracked(|s| (s.cutoffs(), s.entry_rules()));
        let details = ClassDetails {
            title: title.get_untracked(),
            coach,
            start_ms,
            day: settings.with_untracked(|s| day::date_of(s, start_ms)),
            duration_min,
            capacity,
            room: room.get_untracked(),
        };
        // (A class under way keeps its start through a change of room or capacity: nothing to ask.)
        let kept = existing.with_value(|e| e.as_ref().and_then(|(_, c)| c.details.as_ref()).map(|d| d.start_ms));
        let now = crate::format::now_ms();
        if start_ms < now && kept != Some(start_ms) && past_confirmed.get_untracked() != Some(start_ms) {
            past_confirmed.set(Some(start_ms));
            problem.set(Some(format!(
                "{} {} has passed: the class could no longer be booked (attendance could still be taken). Check the \
                 day and the time, or press \"{}\" again to {} it so.",
                crate::format::day_label(details.day),
                crate::format::clock_of(start_ms),
                if rescheduling { "Save the new details" } else { "Schedule" },
                if rescheduling { "move" } else { "schedule" },
            )));
            return;
        }
        let on_scheduled = on_scheduled.clone();
        match existing.get_value() {
            None => {
                let id = client.with_value(|c| c.api().new_member_id());
                let act = client.with_value(|c| ClassAct::new(c, id));
                act.run(ClassCommand::ScheduleClass { details, cutoffs }, vec![], problem, move || on_scheduled(id));
            }
            Some((id, class)) => {
                // Moved to another day, the booked members who cannot attend on it are released;
                // the spots they free and a larger capacity move the waitlist up, passing over
                // those who cannot attend on the new day.
                let ids: Vec<Uuid> =
                    class.bookings.iter().map(|b| b.member).chain(class.waitlist.iter().map(|w| w.member)).collect();
                let people = act::people(state, &ids);
                let moved = class.details.as_ref().is_some_and(|d| d.day != details.day);
                let released = if moved { act::released(&class, details.day, &people, &rules) } else { vec![] };
                let free = (capacity as usize).saturating_sub(class.bookings.len() - released.len());
                let after = Class { details: Some(details.clone()), ..(*class).clone() };
                let skipped = act::skipped(&after, free, crate::format::now_ms(), &people, &rules);
                let act = client.with_value(|c| ClassAct::new(c, id));
                act.run(ClassCommand::RescheduleClass { details, skipped, released }, vec![], problem, move || {
                    on_scheduled(id);
                    on_close();
                });
            }
        }
    };
    let scope = if rescheduling { "reschedule" } else { "schedule" };
    view! {
        <form class="card plan-form" data-testid="schedule-form" on:submit=submit novalidate
            data-settings-known=move || state.settings_known().to_string()>
            <h2>{if rescheduling { "Reschedule the class" } else { "Schedule a class" }}</h2>
            <TextInput name="class-title" scope label="Title" value=title/>
            <label for=format!("class-coach-{scope}")>"Coach"</label>
            <select
                id=format!("class-coach-{scope}")
                data-testid="class-coach"
                on:change=move |ev| coach.set(event_target_value(&ev).parse().ok().map(StaffId))
            >
                {
                    let chosen = coach.get_untracked();
                    let mut known = known;
                    // A coach this device no longer lists stays the class's.
                    if let Some(c) = chosen.filter(|c| !known.iter().any(|k| k.staff == *c)) {
                        known.insert(0, shared::protocol::StaffMember { staff: c, name: "(a coach not known here)".into(), role: shared::access::Role::Coach });
                    }
                    known
                        .into_iter()
                        .map(|s| {
                            let label = format!("{} ({})", s.name, s.role.label());
                            view! { <option value=s.staff.0.to_string() selected=Some(s.staff) == chosen>{label}</option> }
                        })
                        .collect_view()
                }
            </select>
            <DateInput name="class-date" scope label="Date" value=date/>
            <label for=format!("class-time-{scope}")>"Start (club time)"</label>
            <input id=format!("class-time-{scope}") type="time" data-testid="class-time" prop:value=time
                on:input=move |ev| time.set(event_target_value(&ev))/>
            <label for=format!("class-duration-{scope}")>"Duration (minutes)"</label>
            <input id=format!("class-duration-{scope}") type="number" min="5" data-testid="class-duration" prop:value=duration
                on:input=move |ev| duration.set(event_target_value(&ev))/>
            <label for=format!("class-capacity-{scope}")>"Capacity (members)"</label>
            <input id=format!("class-capacity-{scope}") type="number" min="1" data-testid="class-capacity" prop:value=capacity
                on:input=move |ev| capacity.set(event_target_value(&ev))/>
            <TextInput name="class-room" scope label="Room" value=room/>
            {(!rescheduling).then(|| {
                let c = settings.with_untracked(|s| s.cutoffs());
                view! {
                    <p class="hint">
                        {format!(
                            "The waitlist moves up by itself until {} before the start; a cancellation within {} of the start is a late cancel (the club's settings).",
                            crate::format::minutes(c.waitlist_min), crate::format::minutes(c.cancel_min)
                        )}
                    </p>
                }
            })}
            <Problem problem testid="schedule-problem"/>
            <div class="form-buttons">
                <button type="submit" class="primary" data-testid="schedule-confirm">
                    {if rescheduling { "Save the new details" } else { "Schedule" }}
                </button>
                <button type="button" on:click=move |_| on_close()>"Close"</button>
            </div>
        </form>
    }
    .into_any()
}
