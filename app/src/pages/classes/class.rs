//! `/classes/:id`: one class — its details, rescheduling and cancelling it (managers), booking a
//! member, the roster (how each got their spot, attendance), the waitlist in order (who was passed
//! over and why), the late cancels and no-shows (waived by a manager), and its timeline.
//!
//! Every change that frees a spot names the waiting members this device finds unable to attend
//! (`act::skipped`); attendance, a late cancel and a no-show use a card's visit on the member's
//! stream right after (`act::card_visit`); a waiver gives it back.

use super::{
    act::{self, card_visit, ClassAct},
    book::Book,
    schedule::ScheduleForm,
};
use crate::{
    client::{Client, ClientState, MemberRow},
    components::with_client::WithClient,
    format,
    pages::member::{
        act::Problem,
        day, decided,
        fields::TextInput,
        timeline::{self, Timeline},
    },
    sentences,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::{
    class::{Booking, ChargeKind, Class, ClassCommand, Via, ATTENDANCE_OPENS_MS},
    member::MemberCommand,
};
use std::{collections::HashMap, sync::Arc};
use uuid::Uuid;

#[component]
pub fn ClassPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok()));
    let for_member = move || query.with(|q| q.get("member").and_then(|s| s.parse::<Uuid>().ok()));
    view! {
        <WithClient children=move |client| {
            move || match id() {
                Some(id) => view! { <ClassView client=client.clone() id for_member=for_member()/> }.into_any(),
                None => view! { <p class="notice error" role="alert">"That is not a class link."</p> }.into_any(),
            }
        }/>
    }
}

/// What the page shares with its parts.
#[derive(Clone, Copy)]
pub(super) struct Ctx {
    pub state: ClientState,
    pub act: ClassAct,
    pub class: Memo<Option<Arc<Class>>>,
    /// The members the class names, as this device holds them.
    pub people: Memo<HashMap<Uuid, MemberRow>>,
    pub now: RwSignal<u64>,
    /// Scheduled, not cancelled, not over (changes with the class and the clock, rarely).
    pub open: Memo<bool>,
    /// Attendance may be taken (an hour before the start, until it is over).
    pub attendance_open: Memo<bool>,
    /// A cancellation now is a late cancel.
    pub late: Memo<bool>,
    /// Bookings may be cancelled: open and not started (from the start, one who does not come is
    /// a no-show).
    pub cancellable: Memo<bool>,
}

impl Ctx {
    pub fn name(self, id: Uuid) -> String {
        self.people
            .with(|p| p.get(&id).map(|m| m.name.clone()))
            .unwrap_or_else(|| "A member not on this device (yet)".into())
    }

    /// "Today", the club-local date commands are given on.
    pub fn today(self) -> shared::calendar::Date {
        self.state.settings.with_untracked(day::today)
    }

    /// The card visit `member`'s booking uses for this class (charged or attended), if on a card.
    pub fn visit(
        self,
        member: Uuid,
        membership: Option<Uuid>,
        charge: Option<ChargeKind>,
    ) -> Vec<(Uuid, MemberCommand)> {
        let on = self.today();
        self.people
            .with_untracked(|p| p.get(&member).and_then(|m| card_visit(self.act.id, &m.member, membership, on, charge)))
            .map(|c| vec![(member, c)])
            .unwrap_or_default()
    }

    /// The visit of `member`'s card this class used, given back with `reason` (managers: a visit
    /// is money), when it was used.
    pub fn visit_back(self, member: Uuid, reason: &str) -> Vec<(Uuid, MemberCommand)> {
        let (class, on) = (self.act.id, self.today());
        self.people
            .with_untracked(|p| {
                let m = p.get(&member)?;
                let card = m.member.memberships.iter().find(|c| c.class_visits.contains(&class))?;
                Some(MemberCommand::ReturnClassVisit { class, membership: card.id, on, reason: reason.to_owned() })
            })
            .map(|c| vec![(member, c)])
            .unwrap_or_default()
    }

    /// The waiting members a change freeing spots at now passes over (see `act::skipped`).
    pub fn skipped(self, class: &Class, free: usize) -> Vec<shared::class::Skip> {
        let rules = self.state.settings.with_untracked(|s| s.entry_rules());
        self.people.with_untracked(|p| act::skipped(class, free, format::now_ms(), p, &rules))
    }
}

#[component]
fn ClassView(client: Client, id: Uuid, for_member: Option<Uuid>) -> impl IntoView {
    let state = client.state;
    let class = Memo::new(move |_| state.classes.with(|all| all.iter().find(|c| c.id == id).map(|c| c.class.clone())));
    let ids = Memo::new(move |_| {
        class.with(|c| {
            let Some(c) = c else { return vec![] };
            let mut ids: Vec<Uuid> = c
                .bookings
                .iter()
                .map(|b| b.member)
                .chain(c.waitlist.iter().map(|w| w.member))
                .chain(c.charges.iter().map(|c| c.member))
                .chain(c.refused.iter().map(|(m, _)| *m))
                .collect();
            ids.sort();
            ids.dedup();
            ids
        })
    });
    let people = Memo::new(move |_| ids.with(|ids| act::people(state, ids)));
    let now = day::ticking_now();
    let open = Memo::new(move |_| class.with(|c| c.as_ref().is_some_and(|c| open_at(c, now.get()))));
    // From an hour before the start, and after the end too (a coach often takes the register once
    // the session is over): the rules allow it, and submitting without it would make every
    // booked member a no-show.
    let attendance_open = Memo::new(move |_| {
        class.with(|c| {
            c.as_ref()
                .filter(|c| c.cancelled.is_none())
                .and_then(|c| c.details.as_ref())
                .is_some_and(|d| now.get() + ATTENDANCE_OPENS_MS >= d.start_ms)
        })
    });
    let late = Memo::new(move |_| class.with(|c| c.as_ref().is_some_and(|c| c.late_at(now.get()))));
    let cancellable = Memo::new(move |_| {
        class.with(|c| {
            c.as_ref()
                .is_some_and(|c| open_at(c, now.get()) && c.details.as_ref().is_some_and(|d| now.get() < d.start_ms))
        })
    });
    let ctx =
        Ctx { state, act: ClassAct::new(&client, id), class, people, now, open, attendance_open, late, cancellable };
    let stream = shared::class::stream(id);
    let revision = state.revision;
    let api = client.api();
    let rows: timeline::Rows = LocalResource::new(move || {
        revision.track();
        let api = api.clone();
        async move { api.timeline(stream).await }
    });
    let decided = decided::entries_of(&client, move |e| e.stream == stream);
    let scheduled = Memo::new(move |_| class.with(Option::is_some));
    let manage_client = client.clone();
    view! {
        <Show
            when=move || scheduled.get()
            fallback=|| view! {
                <p class="notice" role="status" data-testid="class-absent">"This class is not on this device (yet). It appears as soon as it syncs."</p>
            }
        >
            {view! { <Head ctx/> }.into_any()}
            {view! { <decided::Decided entries=decided testid="class-decided"/> }.into_any()}
            {view! { <Manage ctx client=manage_client.clone()/> }.into_any()}
            {view! { <Book ctx preset=for_member/> }.into_any()}
            {view! { <Roster ctx/> }.into_any()}
            {view! { <Waitlist ctx/> }.into_any()}
            {view! { <Attendance ctx/> }.into_any()}
            {view! { <Charges ctx/> }.into_any()}
            {view! { <RefusedList ctx/> }.into_any()}
        </Show>
        {view! { <Timeline rows client=client.clone() on_class=true/> }.into_any()}
    }
    .into_any()
}

/// Title, when, coach, room, places; a cancelled class says why.
#[component]
fn Head(ctx: Ctx) -> impl IntoView {
    let state = ctx.state;
    move || {
        let c = ctx.class.get()?;
        let d = c.details.clone()?;
        let coach = state.staff_name(d.coach);
        let booked = c.bookings.len();
        let mut places = format!("{booked} of {} booked", d.capacity);
        if c.cancelled.is_some() {
            places = super::timetable::released(booked, c.waitlist.len());
        } else if c.waitlist.is_empty() {
            if booked >= d.capacity as usize {
                places += " · full";
            }
        } else {
            places += &format!(" · {} waiting", c.waitlist.len());
        }
        Some(view! {
            <section class="member-head class-head" data-testid="class-head">
                <h1 data-testid="class-title">{d.title.clone()}</h1>
                <p class="contact" data-testid="class-when">
                    {format!("{} · {} ({} min){}", format::day_label(d.day), format::class_hours(&d), d.duration_min,
                        if d.room.is_empty() { String::new() } else { format!(" · {}", d.room) })}
                </p>
                <p class="contact" data-testid="class-coach" data-staff=d.coach.to_string()>
                    {format!("Coach: {}", if coach.is_empty() { "not known on this device".to_owned() } else { coach })}
                </p>
                <p class="last" data-testid="class-places" data-booked=booked.to_string() data-capacity=d.capacity.to_string()
                    data-waiting=c.waitlist.len().to_string()>
                    {places}
                </p>
                {c.cancelled.clone().map(|why| view! {
                    <p class="notice error" role="status" data-testid="class-cancelled">{format!("Cancelled: {why}")}</p>
                })}
            </section>
        })
    }
}

/// Whether the class is scheduled, not cancelled, and not over at `now`.
fn open_at(class: &Class, now: u64) -> bool {
    class.cancelled.is_none() && class.details.as_ref().is_some_and(|d| now < d.end_ms())
}

/// Rescheduling and cancelling (managers), while the class is not over.
#[component]
fn Manage(ctx: Ctx, client: Client) -> impl IntoView {
    let may = act::timetabling(ctx.state);
    let mode = RwSignal::new(0u8); // 0 closed, 1 reschedule, 2 cancel
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let cancel = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        ctx.act.run(ClassCommand::CancelClass { reason: reason.get_untracked() }, vec![], problem, move || mode.set(0));
    };
    let client = StoredValue::new(client);
    move || {
        (may.get() && ctx.open.get()).then(|| {
            view! {
                <div class="class-manage form-buttons" data-testid="class-manage">
                    {move || (mode.get() == 0).then(|| view! {
                        <button type="button" data-testid="reschedule" on:click=move |_| mode.set(1)>"Reschedule…"</button>
                        <button type="button" class="danger" data-testid="cancel-class" on:click=move |_| { problem.set(None); mode.set(2); }>"Cancel the class…"</button>
                    })}
                </div>
                {move || (mode.get() == 1).then(|| {
                    let initial = ctx.class.get_untracked().map(|c| (ctx.act.id, c));
                    view! { <ScheduleForm client=client.get_value() initial on_scheduled=|_| {} on_close=move || mode.set(0)/> }.into_any()
                })}
                {move || (mode.get() == 2).then(|| view! {
                    <form class="card" data-testid="cancel-class-form" on:submit=cancel novalidate>
                        <TextInput name="cancel-class-reason" scope="class" label="Why is the class cancelled? (every booked member's timeline says so)" value=reason/>
                        <Problem problem/>
                        <button type="submit" class="danger" data-testid="cancel-class-confirm">"Cancel the class"</button>
                        <button type="button" on:click=move |_| mode.set(0)>"Back"</button>
                    </form>
                })}
            }
            .into_any()
        })
    }
}

/// How a member got their spot.
fn how(b: &Booking) -> String {
    let mut s = match b.via {
        Via::Booked { .. } => format!("booked {}", format::time_of(b.at_ms)),
        Via::Promoted { at_ms, automatic: true, .. } => {
            format!(
                "moved up from the waitlist {} (waiting since {})",
                format::time_of(at_ms),
                format::time_of(b.at_ms)
            )
        }
        Via::Promoted { at_ms, automatic: false, .. } => format!("moved up by staff {}", format::time_of(at_ms)),
    };
    if let Some(r) = &b.override_reason {
        s += &format!(" · booked by a manager's override, though unable to attend by the rules: {r}");
    }
    if let Some(r) = &b.over_capacity {
        s += &format!(" · beyond the capacity ({r})");
    }
    s
}

/// The reason recorded when a visit goes back because a tick of attendance was taken back.
const ATTENDANCE_TAKEN_BACK: &str = "attendance taken back";

/// The booked members, with attendance and cancelling a booking.
#[component]
fn Roster(ctx: Ctx) -> impl IntoView {
    let state = ctx.state;
    let may_book = act::booking(state);
    let may_attend = act::attendance(state);
    let may_give_back = act::waiving(state);
    // The booking being cancelled (confirmation asked), and the outcome.
    let confirming = RwSignal::new(None::<Uuid>);
    let problem = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<String>);
    let cancel = move |member: Uuid| {
        let Some(c) = ctx.class.get_untracked() else { return };
        let Some(b) = c.booking(member).cloned() else { return };
        let now = format::now_ms();
        let late = c.late_at(now);
        let free = c.details.as_ref().map_or(0, |d| (d.capacity as usize).saturating_sub(c.bookings.len() - 1));
        let skipped = ctx.skipped(&c, free);
        let then = if late { ctx.visit(member, b.membership, Some(ChargeKind::LateCancel)) } else { vec![] };
        let name = ctx.name(member);
        ctx.act.run(ClassCommand::CancelBooking { member, skipped }, then, problem, move || {
            confirming.set(None);
            message.set(Some(if late {
                format!("{name}'s booking cancelled: a late cancel.")
            } else {
                format!("{name}'s booking cancelled.")
            }));
        });
    };
    let mark = move |member: Uuid, attended: bool| {
        let Some(c) = ctx.class.get_untracked() else { return };
        let membership = c.booking(member).and_then(|b| b.membership);
        // A tick taken back gives back the visit it used, where the staff member may (a manager);
        // otherwise the page says it stays used, and a manager can give it back from the roster.
        let back = if attended { vec![] } else { ctx.visit_back(member, ATTENDANCE_TAKEN_BACK) };
        let kept = !back.is_empty() && !may_give_back.get_untracked();
        let then = if attended {
            ctx.visit(member, membership, None)
        } else if kept {
            vec![]
        } else {
            back
        };
        message.set(None);
        let name = ctx.name(member);
        ctx.act.run(ClassCommand::MarkAttendance { member, attended }, then, problem, move || {
            if kept {
                message.set(Some(format!(
                    "{name} is no longer marked attended. The card's visit stays used until a manager gives it back."
                )));
            }
        });
    };
    let give_back = move |member: Uuid| {
        let name = ctx.name(member);
        let commands = ctx.visit_back(member, ATTENDANCE_TAKEN_BACK);
        let Some((_, command)) = commands.into_iter().next() else { return };
        message.set(None);
        ctx.act.run_member(member, command, problem, move || {
            message.set(Some(format!("{name}'s card visit was given back.")));
        });
    };
    view! {
        <section class="roster" data-testid="roster-section">
            <h2>{move || if ctx.class.with(|c| c.as_ref().is_some_and(|c| c.cancelled.is_some())) {
                "Booked when the class was cancelled (released)"
            } else {
                "Booked"
            }}</h2>
            {move || message.get().map(|m| view! { <p class="notice ok" role="status" data-testid="roster-message">{m}</p> })}
            <Problem problem testid="roster-problem"/>
            <ol class="short-list" data-testid="roster">
                {move || {
                    let c = ctx.class.get()?;
                    let d = c.details.clone()?;
                    let attendance_open = ctx.attendance_open.get();
                    let takes = act::takes_attendance(state, may_attend, d.coach);
                    let may_cancel = may_book.get() && ctx.cancellable.get();
                    let late = ctx.late.get();
                    let cancel_min = c.cutoffs.cancel_min;
                    // Booked members who cannot attend on the class's day as this device knows them
                    // (frozen, or their membership ended, after they booked): the booking stands, and
                    // staff are told, so they can cancel it or settle it with the member.
                    let rules = state.settings.with(|s| s.entry_rules());
                    let unable = ctx.people.with(|p| act::released(&c, d.day, p, &rules));
                    if c.bookings.is_empty() {
                        return Some(view! { <li class="empty">"Nobody is booked."</li> }.into_any());
                    }
                    Some(c.bookings.iter().map(|b| {
                        let member = b.member;
                        let attended = b.attended;
                        // One marked as there came: the tick comes back before the booking goes.
                        let may_cancel = may_cancel && !attended;
                        let card = ctx.people.with(|p| p.get(&member).and_then(|m| b.membership.and_then(|id| m.member.membership(id)))
                            .is_some_and(|m| m.terms.visits.count().is_some()));
                        // A visit this class used of a member not (or no longer) marked attended and
                        // owing no late cancel or no-show: a tick taken back by someone who could not
                        // give the visit back.
                        let owed = c.charges.iter().any(|x| x.member == member && x.waived.is_none());
                        let used = ctx.people.with(|p| p.get(&member).is_some_and(|m| {
                            m.member.memberships.iter().any(|x| x.class_visits.contains(&ctx.act.id))
                        }));
                        let stray = !attended && !owed && used;
                        view! {
                            <li data-testid="roster-member" data-member=member.to_string() data-attended=attended.to_string()>
                                <a href=format!("/members/{member}")>{ctx.name(member)}</a>
                                <span class="when">{how(b)}</span>
                                {(takes && attendance_open).then(|| view! {
                                    <label class="inline">
                                        <input type="checkbox" data-testid="attended" prop:checked=attended
                                            on:change=move |ev| mark(member, event_target_checked(&ev))/>
                                        "Attended"
                                    </label>
                                })}
                                {(!attendance_open && attended).then(|| view! { <span class="tag">"attended"</span> })}
                                {unable.iter().find(|u| u.member == member).map(|u| view! {
                                    <span class="tag warn" data-testid="cannot-attend">
                                        {format!("cannot attend that day: {}", sentences::denial(&u.denial, &rules))}
                                    </span>
                                })}
                                {(stray && may_give_back.get()).then(|| view! {
                                    <button type="button" data-testid="return-visit" on:click=move |_| give_back(member)>
                                        "Give the card's visit back"
                                    </button>
                                })}
                                {(stray && !may_give_back.get()).then(|| view! {
                                    <span class="tag" data-testid="visit-used">"card visit used"</span>
                                })}
                                {(may_cancel && confirming.get() != Some(member)).then(|| view! {
                                    <button type="button" data-testid="cancel-booking" on:click=move |_| { problem.set(None); confirming.set(Some(member)); }>
                                        "Cancel booking…"
                                    </button>
                                })}
                                {(may_cancel && confirming.get() == Some(member)).then(|| view! {
                                    <div class="confirm" data-testid="cancel-booking-confirmation">
                                        <p data-testid="cancel-booking-late" data-late=late.to_string()>
                                            {if late {
                                                format!("This is a late cancel: the class starts within {}.{}", format::minutes(cancel_min),
                                                    if card { " A visit of the card is used unless a manager waives it." } else { " It is recorded; a manager may waive it." })
                                            } else {
                                                "Not a late cancel: the spot goes to the first on the waitlist.".to_owned()
                                            }}
                                        </p>
                                        <button type="button" class="danger" data-testid="cancel-booking-confirm" on:click=move |_| cancel(member)>
                                            {if late { "Cancel booking (late cancel)" } else { "Cancel booking" }}
                                        </button>
                                        <button type="button" on:click=move |_| confirming.set(None)>"Back"</button>
                                    </div>
                                })}
                            </li>
                        }
                    }).collect_view().into_any())
                }}
            </ol>
        </section>
    }
}

/// The waitlist, in order: who was passed over and why; leaving it; moving someone up (staff).
#[component]
fn Waitlist(ctx: Ctx) -> impl IntoView {
    let may_book = act::booking(ctx.state);
    let problem = RwSignal::new(None::<String>);
    // The member being moved up beyond the capacity (a reason is asked), and that reason.
    let over = RwSignal::new(None::<Uuid>);
    let reason = RwSignal::new(String::new());
    let leave = move |member: Uuid| ctx.act.run(ClassCommand::LeaveWaitlist { member }, vec![], problem, || {});
    let promote = move |member: Uuid, over_capacity: Option<String>| {
        ctx.act.run(ClassCommand::Promote { member, over_capacity }, vec![], problem, move || over.set(None));
    };
    view! {
        <section class="waitlist" data-testid="waitlist-section">
            <h2>{move || if ctx.class.with(|c| c.as_ref().is_some_and(|c| c.cancelled.is_some())) {
                "Waiting when the class was cancelled (released)"
            } else {
                "Waitlist"
            }}</h2>
            {move || {
                let c = ctx.class.get()?;
                let now = ctx.now.get();
                (ctx.open.get() && c.free() > 0 && !c.waitlist.is_empty() && !c.promotes_at(now)).then(|| {
                    let n = c.free();
                    view! {
                        <p class="notice warn" role="status" data-testid="spot-waiting">
                            {format!(
                                "{} waiting for staff: the waitlist no longer moves up by itself ({} before the start). Move someone up below.",
                                if n == 1 { "1 spot is".to_owned() } else { format!("{n} spots are") },
                                format::minutes(c.cutoffs.waitlist_min)
                            )}
                        </p>
                    }
                })
            }}
            <Problem problem testid="waitlist-problem"/>
            <ol class="short-list" data-testid="waitlist">
                {move || {
                    let c = ctx.class.get()?;
                    let staff = may_book.get() && ctx.open.get();
                    let free = c.free() > 0;
                    if c.waitlist.is_empty() {
                        return Some(view! { <li class="empty">"Nobody is waiting."</li> }.into_any());
                    }
                    Some(c.waitlist.iter().enumerate().map(|(i, w)| {
                        let member = w.member;
                        view! {
                            <li data-testid="waiting-member" data-member=member.to_string() data-place=(i + 1).to_string()>
                                <span class="place">{format!("{}.", i + 1)}</span>
                                " "
                                <a href=format!("/members/{member}")>{ctx.name(member)}</a>
                                <span class="when">{format!("waiting since {}", format::time_of(w.at_ms))}</span>
                                {w.override_reason.clone().map(|r| view! { <span class="plan">{format!("by a manager's override, though unable to attend by the rules: {r}")}</span> })}
                                {w.skipped.map(|d| view! {
                                    <span class="tag" data-testid="skipped">
                                        {format!("passed over: {}", crate::sentences::denial(&d, &Default::default()))}
                                    </span>
                                })}
                                {staff.then(|| view! {
                                    <button type="button" data-testid="leave-waitlist" on:click=move |_| leave(member)>"Leave the waitlist"</button>
                                })}
                                {(staff && free).then(|| view! {
                                    <button type="button" class="primary" data-testid="promote" on:click=move |_| promote(member, None)>"Move up"</button>
                                })}
                                {(staff && !free && over.get() != Some(member)).then(|| view! {
                                    <button type="button" data-testid="promote-over" on:click=move |_| { reason.set(String::new()); over.set(Some(member)); }>
                                        "Move up beyond the capacity…"
                                    </button>
                                })}
                                {(staff && !free && over.get() == Some(member)).then(|| view! {
                                    <form class="confirm" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); promote(member, Some(reason.get_untracked())); } novalidate>
                                        <TextInput name="promote-over-reason" scope=member.to_string() label="Why beyond the capacity?" value=reason/>
                                        <button type="submit" data-testid="promote-over-confirm">"Move up"</button>
                                        <button type="button" on:click=move |_| over.set(None)>"Back"</button>
                                    </form>
                                })}
                            </li>
                        }
                    }).collect_view().into_any())
                }}
            </ol>
        </section>
    }
}

/// Submitting attendance: the booked members not marked as attended become no-shows (each uses a
/// card's visit unless a manager waives it).
#[component]
fn Attendance(ctx: Ctx) -> impl IntoView {
    let state = ctx.state;
    let may = act::attendance(state);
    let problem = RwSignal::new(None::<String>);
    let submit = move |_| {
        let Some(c) = ctx.class.get_untracked() else { return };
        let then: Vec<_> = c
            .bookings
            .iter()
            .filter(|b| !b.attended)
            .flat_map(|b| ctx.visit(b.member, b.membership, Some(ChargeKind::NoShow)))
            .collect();
        ctx.act.run(ClassCommand::SubmitAttendance, then, problem, || {});
    };
    move || {
        let c = ctx.class.get()?;
        let d = c.details.clone()?;
        let now = ctx.now.get();
        let takes = act::takes_attendance(state, may, d.coach);
        let status = if c.submitted {
            let n = c.charges.iter().filter(|x| x.kind == ChargeKind::NoShow).count();
            Some(match n {
                0 => "Attendance submitted: no no-shows.".to_owned(),
                1 => "Attendance submitted: 1 no-show.".to_owned(),
                n => format!("Attendance submitted: {n} no-shows."),
            })
        } else if now + ATTENDANCE_OPENS_MS < d.start_ms && c.cancelled.is_none() {
            Some(format!(
                "Attendance opens an hour before the start (at {}).",
                format::clock_of(d.start_ms - ATTENDANCE_OPENS_MS)
            ))
        } else if now < d.start_ms && c.cancelled.is_none() {
            Some(format!(
                "Attendance can be submitted once the class starts (at {}): members not marked then are no-shows.",
                format::clock_of(d.start_ms)
            ))
        } else {
            None
        };
        // A cancelled class was not held: nobody attended it, nobody missed it.
        if c.cancelled.is_some() && !c.submitted {
            return None;
        }
        let can_submit = takes && !c.submitted && c.cancelled.is_none() && now >= d.start_ms;
        let attended = c.bookings.iter().filter(|b| b.attended).count();
        Some(view! {
            <section class="attendance" data-testid="attendance">
                <h2>"Attendance"</h2>
                <p data-testid="attendance-count">{format!("{attended} of {} booked attended.", c.bookings.len())}</p>
                {status.map(|s| view! { <p class="hint" data-testid="attendance-status">{s}</p> })}
                {can_submit.then(|| view! {
                    <button type="button" class="primary" data-testid="submit-attendance" on:click=submit>
                        "Submit attendance (the others are no-shows)"
                    </button>
                })}
                <Problem problem testid="attendance-problem"/>
            </section>
        })
    }
}

/// Late cancels and no-shows, waived or not; a manager waives one with a reason (a card's visit
/// is given back).
#[component]
fn Charges(ctx: Ctx) -> impl IntoView {
    let may_waive = act::waiving(ctx.state);
    let waiving = RwSignal::new(None::<Uuid>);
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let waive = move |member: Uuid| {
        let Some(c) = ctx.class.get_untracked() else { return };
        let class = ctx.act.id;
        let reason_now = reason.get_untracked();
        // The visit the charge used, of the card the booking was on.
        let membership = c.charges.iter().find(|x| x.member == member && x.waived.is_none()).and_then(|x| x.membership);
        let on = ctx.today();
        let then: Vec<(Uuid, MemberCommand)> = ctx
            .people
            .with_untracked(|p| {
                let m = p.get(&member)?;
                let card = m.member.membership(membership?)?;
                card.class_visits.contains(&class).then(|| MemberCommand::ReturnClassVisit {
                    class,
                    membership: card.id,
                    on,
                    reason: reason_now.clone(),
                })
            })
            .map(|c| vec![(member, c)])
            .unwrap_or_default();
        ctx.act.run(ClassCommand::WaiveCharge { member, reason: reason_now }, then, problem, move || waiving.set(None));
    };
    move || {
        let c = ctx.class.get()?;
        (!c.charges.is_empty()).then(|| {
            view! {
                <section class="charges" data-testid="charges-section">
                    <h2>"Late cancels and no-shows"</h2>
                    // Beside the reason while the waiver's form is open (an empty reason is said
                    // where it is typed); above the list for what comes after (a card's visit).
                    {move || waiving.get().is_none().then(|| view! { <Problem problem testid="charges-problem"/> })}
                    <ul class="short-list" data-testid="charges">
                        {c.charges.iter().map(|x| {
                            let member = x.member;
                            let kind = match x.kind { ChargeKind::LateCancel => "late_cancel", ChargeKind::NoShow => "no_show" };
                            let waived = x.waived.clone();
                            let open = waived.is_none();
                            view! {
                                <li data-testid="charge" data-member=member.to_string() data-kind=kind data-waived=if open { "false" } else { "true" }>
                                    <a href=format!("/members/{member}")>{ctx.name(member)}</a>
                                    <span class="plan">{x.kind.label()}</span>
                                    <span class="when">{format::time_of(x.at_ms)}</span>
                                    {waived.clone().map(|w| view! { <span class="tag">{format!("waived: {w}")}</span> })}
                                    {x.cancelled_in_time_ms.filter(|_| open).map(|t| view! {
                                        <span class="tag warn" data-testid="cancelled-in-time">
                                            {format!("another desk cancelled this booking in time, at {}: waive it if so", format::time_of(t))}
                                        </span>
                                    })}
                                    // The club cancelled the class after this late cancel: nobody
                                    // waives by themselves (a visit is money), but a manager is told.
                                    {(open && c.cancelled.is_some() && x.kind == ChargeKind::LateCancel).then(|| view! {
                                        <span class="tag warn" data-testid="class-cancelled-after">
                                            "the class was cancelled afterwards: waive it if so"
                                        </span>
                                    })}
                                    {(open && may_waive.get() && waiving.get() != Some(member)).then(|| view! {
                                        <button type="button" data-testid="waive" on:click=move |_| { reason.set(String::new()); problem.set(None); waiving.set(Some(member)); }>"Waive…"</button>
                                    })}
                                    {(open && may_waive.get() && waiving.get() == Some(member)).then(|| view! {
                                        <form class="confirm" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); waive(member); } novalidate>
                                            <TextInput name="waive-reason" scope=member.to_string() label="Why waive it? (a card's visit is given back)" value=reason/>
                                            <Problem problem testid="charges-problem"/>
                                            <button type="submit" data-testid="waive-confirm">"Waive"</button>
                                            <button type="button" on:click=move |_| waiving.set(None)>"Back"</button>
                                        </form>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            }
            .into_any()
        })
    }
}

/// Bookings that did not stand once the desks' changes met, and why (kept for staff), of members who
/// hold no spot and no waitlist place now (a second booking of a booked member refused is no news:
/// the member's timeline keeps it).
#[component]
fn RefusedList(ctx: Ctx) -> impl IntoView {
    move || {
        let c = ctx.class.get()?;
        let refused: Vec<_> =
            c.refused.iter().filter(|(m, _)| c.booking(*m).is_none() && c.waiting(*m).is_none()).collect();
        (!refused.is_empty()).then(|| {
            view! {
                <section data-testid="refused-section">
                    <h2>"Bookings that did not stand"</h2>
                    <ul class="short-list" data-testid="refused">
                        {refused.into_iter().map(|(member, why)| view! {
                            <li data-testid="refused-booking" data-member=member.to_string()>
                                <a href=format!("/members/{member}")>{ctx.name(*member)}</a>
                                <span class="plan">{crate::sentences::booking_refused(why)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                </section>
            }
            .into_any()
        })
    }
}
