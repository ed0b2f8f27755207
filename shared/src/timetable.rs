//! The timetable as staff read it (DOMAIN.md "Classes"; issue 13 "Screens"): a day's or a week's
//! classes in order of their start, each with its booked places, capacity and waitlist; a
//! member's upcoming bookings and waitlist places; a coach's own classes. Read from the classes'
//! states alone (the `classes` stream table): no member is read to draw the timetable, so a week
//! of 500 classes renders the same with 20,000 members on the device or none.
//!
//! Days are the classes' own club-local dates (`ClassDetails::day`, which the server holds to the
//! club's zone): grouping needs no time zone, only showing the times does.

use crate::{
    access::StaffId,
    calendar::Date,
    class::{Class, ClassDetails},
};
use uuid::Uuid;

/// One class in the timetable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slot {
    pub class: Uuid,
    pub title: String,
    pub coach: StaffId,
    /// ms since the epoch.
    pub start_ms: u64,
    pub end_ms: u64,
    /// The club-local date it starts on.
    pub day: Date,
    pub room: String,
    /// Members with a spot (beyond the capacity too, when staff booked so with a reason).
    pub booked: usize,
    pub capacity: u32,
    /// Members on the waitlist.
    pub waiting: usize,
    /// Cancelled classes stay in the timetable, marked, with their reason.
    pub cancelled: Option<String>,
}

impl Slot {
    /// The slot of class `id`, if it is scheduled.
    pub fn of(id: Uuid, class: &Class) -> Option<Slot> {
        let d: &ClassDetails = class.details.as_ref()?;
        Some(Slot {
            class: id,
            title: d.title.clone(),
            coach: d.coach,
            start_ms: d.start_ms,
            end_ms: d.end_ms(),
            day: d.day,
            room: d.room.clone(),
            booked: class.bookings.len(),
            capacity: d.capacity,
            waiting: class.waitlist.len(),
            cancelled: class.cancelled.clone(),
        })
    }

    /// No spot left: a booking goes to the waitlist.
    pub fn full(&self) -> bool {
        self.booked >= self.capacity as usize
    }

    /// The order a timetable lists classes in: by start, then title, then id (stable for equal starts).
    fn order(&self) -> (u64, &str, Uuid) {
        (self.start_ms, &self.title, self.class)
    }
}

fn sorted(mut slots: Vec<Slot>) -> Vec<Slot> {
    slots.sort_by(|a, b| a.order().cmp(&b.order()));
    slots
}

/// The slots of the classes whose day is in `from..=until`, in order of their start.
fn between<'a>(classes: impl IntoIterator<Item = (Uuid, &'a Class)>, from: Date, until: Date) -> Vec<Slot> {
    sorted(
        classes
            .into_iter()
            .filter(|(_, c)| c.details.as_ref().is_some_and(|d| from <= d.day && d.day <= until))
            .filter_map(|(id, c)| Slot::of(id, c))
            .collect(),
    )
}

/// The classes of the club-local `date`, in order of their start (cancelled ones included).
pub fn day<'a>(classes: impl IntoIterator<Item = (Uuid, &'a Class)>, date: Date) -> Vec<Slot> {
    between(classes, date, date)
}

/// The Monday of the week `date` falls in (weeks run Monday to Sunday).
pub fn monday_of(date: Date) -> Date {
    date.add_days(-(date.weekday() as i32))
}

/// One day of a week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayPlan {
    pub date: Date,
    pub slots: Vec<Slot>,
}

/// The week of `date`, Monday to Sunday, every day listed (an empty day too), each day's classes
/// in order of their start.
pub fn week<'a>(classes: impl IntoIterator<Item = (Uuid, &'a Class)>, date: Date) -> Vec<DayPlan> {
    let monday = monday_of(date);
    let mut days: Vec<DayPlan> = (0..7).map(|i| DayPlan { date: monday.add_days(i), slots: vec![] }).collect();
    for slot in between(classes, monday, monday.add_days(6)) {
        let i = monday.days_until(slot.day) as usize;
        days[i].slots.push(slot);
    }
    days
}

/// Where a member stands in a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// They have a spot.
    Booked { attended: bool },
    /// They wait, `position`th in line (from 1).
    Waiting { position: usize },
}

/// A class a member is booked in or waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upcoming {
    pub slot: Slot,
    pub place: Place,
}

/// `member`'s bookings and waitlist places in the classes not over at `now_ms` and not cancelled,
/// in order of their start.
pub fn upcoming_of<'a>(
    classes: impl IntoIterator<Item = (Uuid, &'a Class)>,
    member: Uuid,
    now_ms: u64,
) -> Vec<Upcoming> {
    let mut out: Vec<Upcoming> = classes
        .into_iter()
        .filter(|(_, c)| c.cancelled.is_none() && c.details.as_ref().is_some_and(|d| d.end_ms() > now_ms))
        .filter_map(|(id, c)| {
            let place = match c.booking(member) {
                Some(b) => Place::Booked { attended: b.attended },
                None => Place::Waiting { position: c.waitlist.iter().position(|w| w.member == member)? + 1 },
            };
            Some(Upcoming { slot: Slot::of(id, c)?, place })
        })
        .collect();
    out.sort_by(|a, b| a.slot.order().cmp(&b.slot.order()));
    out
}

/// The classes `coach` gives on the days `from..=until`, in order of their start.
pub fn coach_classes<'a>(
    classes: impl IntoIterator<Item = (Uuid, &'a Class)>,
    coach: StaffId,
    from: Date,
    until: Date,
) -> Vec<Slot> {
    between(classes.into_iter().filter(|(_, c)| c.details.as_ref().is_some_and(|d| d.coach == coach)), from, until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        aggregate::Aggregate,
        class::ClassEvent,
        testing::{
            classes::{self, booked, details, member, waitlisted, COACH},
            members::{monday, MIN},
        },
    };

    /// A class folded from `events`.
    fn class(events: &[ClassEvent]) -> Class {
        let device = crate::DeviceId::new("desk").unwrap();
        let mut class = Class::default();
        for (i, e) in events.iter().enumerate() {
            class.evolve(
                e,
                &crate::aggregate::EventMeta { version: i as u64 + 1, hlc: Default::default(), device: &device },
            );
        }
        class
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(0xc1a5_0000 + n)
    }

    /// A class titled `title` on `day` at `hh:mm` (UTC), for 10, by `coach`.
    fn at(title: &str, day: Date, hh: u64, mm: u64, coach: StaffId) -> ClassEvent {
        let start_ms = day.days_since_epoch() as u64 * 86_400_000 + (hh * 60 + mm) * MIN;
        ClassEvent::ClassScheduled {
            details: crate::class::ClassDetails { title: title.into(), coach, start_ms, day, ..details(10) },
            cutoffs: Default::default(),
        }
    }

    const OTHER_COACH: StaffId = StaffId(Uuid::from_u128(0x0c2));

    #[test]
    fn a_day_lists_its_classes_by_start_with_booked_capacity_and_waitlist() {
        let tuesday = monday().add_days(1);
        let yoga = class(&[at("Yoga", monday(), 18, 0, COACH), booked(member(1), 0), waitlisted(member(2), 0)]);
        let spin = class(&[at("Spin", monday(), 7, 30, COACH)]);
        let later = class(&[at("Pilates", tuesday, 9, 0, COACH)]);
        let all = [(id(1), &yoga), (id(2), &spin), (id(3), &later)];

        let slots = day(all, monday());

        assert_eq!(slots.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), ["Spin", "Yoga"]);
        let yoga = &slots[1];
        assert_eq!((yoga.class, yoga.booked, yoga.capacity, yoga.waiting), (id(1), 1, 10, 1));
        assert_eq!(yoga.end_ms - yoga.start_ms, 60 * MIN);
        assert!(!yoga.full());
    }

    #[test]
    fn a_week_runs_monday_to_sunday_with_every_day_listed() {
        let sunday = monday().add_days(6);
        let next_monday = monday().add_days(7);
        let a = class(&[at("Sunday run", sunday, 10, 0, COACH)]);
        let b = class(&[at("Next week", next_monday, 10, 0, COACH)]);
        let c = class(&[at("Before", monday().add_days(-1), 10, 0, COACH)]);

        // Asked from a Wednesday: the week is the one that Wednesday is in.
        let week = week([(id(1), &a), (id(2), &b), (id(3), &c)], monday().add_days(2));

        assert_eq!(week.len(), 7);
        assert_eq!(week[0].date, monday());
        assert_eq!(week[6].date, sunday);
        assert_eq!(week.iter().map(|d| d.slots.len()).sum::<usize>(), 1);
        assert_eq!(week[6].slots[0].title, "Sunday run");
    }

    #[test]
    fn classes_starting_together_keep_one_order() {
        let a = class(&[at("B class", monday(), 18, 0, COACH)]);
        let b = class(&[at("A class", monday(), 18, 0, COACH)]);
        let c = class(&[at("A class", monday(), 18, 0, COACH)]);
        let order = |all: Vec<(Uuid, &Class)>| day(all, monday()).iter().map(|s| s.class).collect::<Vec<_>>();
        let one = order(vec![(id(1), &a), (id(2), &b), (id(3), &c)]);
        let other = order(vec![(id(3), &c), (id(1), &a), (id(2), &b)]);
        assert_eq!(one, [id(2), id(3), id(1)]);
        assert_eq!(one, other);
    }

    #[test]
    fn a_cancelled_class_stays_in_the_timetable_with_its_reason() {
        let yoga = class(&[
            at("Yoga", monday(), 18, 0, COACH),
            ClassEvent::ClassCancelled { reason: "Coach ill".into(), at_ms: 0 },
        ]);
        let slots = day([(id(1), &yoga)], monday());
        assert_eq!(slots[0].cancelled.as_deref(), Some("Coach ill"));
    }

    #[test]
    fn a_full_class_says_so() {
        let yoga = class(&classes::with(2, 2, 1));
        let slot = Slot::of(id(1), &yoga).unwrap();
        assert!(slot.full());
        assert_eq!((slot.booked, slot.waiting), (2, 1));
    }

    #[test]
    fn a_members_upcoming_classes_are_their_bookings_and_waitlist_places_not_over_nor_cancelled() {
        let start = classes::start();
        let booked_in = class(&classes::with(2, 2, 2)); // members 1, 2 booked; 3, 4 waiting
        let cancelled = class(&[
            classes::scheduled(5),
            booked(member(4), 0),
            ClassEvent::ClassCancelled { reason: "Flood".into(), at_ms: 0 },
        ]);
        let other = class(&[classes::scheduled(5), booked(member(9), 0)]);
        let all = || [(id(1), &booked_in), (id(2), &cancelled), (id(3), &other)];

        let of_4 = upcoming_of(all(), member(4), start - 60 * MIN);
        assert_eq!(of_4.len(), 1, "the cancelled class is not upcoming");
        assert_eq!(of_4[0].slot.class, id(1));
        assert_eq!(of_4[0].place, Place::Waiting { position: 2 });

        let of_1 = upcoming_of(all(), member(1), start - 60 * MIN);
        assert_eq!(of_1[0].place, Place::Booked { attended: false });

        // Still upcoming while it runs; not once it is over.
        assert_eq!(upcoming_of(all(), member(1), start + 59 * MIN).len(), 1);
        assert!(upcoming_of(all(), member(1), start + 60 * MIN).is_empty());
    }

    #[test]
    fn a_coach_sees_their_own_classes_of_the_days_asked() {
        let tuesday = monday().add_days(1);
        let mine = class(&[at("Mine", monday(), 18, 0, COACH)]);
        let theirs = class(&[at("Theirs", monday(), 17, 0, OTHER_COACH)]);
        let mine_later = class(&[at("Mine later", monday().add_days(8), 18, 0, COACH)]);
        let mine_tuesday = class(&[at("Mine Tuesday", tuesday, 8, 0, COACH)]);
        let all = [(id(1), &mine), (id(2), &theirs), (id(3), &mine_later), (id(4), &mine_tuesday)];

        let week = coach_classes(all, COACH, monday(), monday().add_days(6));

        assert_eq!(week.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), ["Mine", "Mine Tuesday"]);
    }

    #[test]
    fn a_week_of_a_full_studio_is_drawn_from_the_classes_alone() {
        // 500 classes in a week (about 70 a day): each lands on its own day, in order.
        let events: Vec<Class> = (0..500u64)
            .map(|i| class(&[at(&format!("Class {i}"), monday().add_days((i % 7) as i32), 6 + i % 15, 0, COACH)]))
            .collect();
        let all: Vec<(Uuid, &Class)> = events.iter().enumerate().map(|(i, c)| (id(i as u128), c)).collect();
        let week = week(all, monday());
        assert_eq!(week.iter().map(|d| d.slots.len()).sum::<usize>(), 500);
        for d in &week {
            assert!(d.slots.iter().all(|s| s.day == d.date));
            assert!(d.slots.windows(2).all(|w| w[0].start_ms <= w[1].start_ms));
        }
    }
}
