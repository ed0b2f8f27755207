//! Invariants of a class over random histories: devices deciding offline on stale copies of the
//! class, at times out of order, their events joining the server's stream as the server resolves
//! them (at the head: validated; behind it: merged).

use super::*;
use crate::{
    aggregate::{EventMeta, Resolution},
    DeviceId, Hlc,
};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Step {
    Book { member: u128, over: bool, overridden: bool },
    Cancel { member: u128, skip: Option<u128> },
    Leave { member: u128 },
    Promote { member: u128, over: bool },
    Reschedule { capacity: u32, skip: Option<u128> },
    Mark { member: u128, attended: bool },
    Submit,
    CancelClass,
}

fn step() -> impl Strategy<Value = Step> {
    let m = || 1..9u128;
    prop_oneof![
        8 => (m(), prop::bool::weighted(0.1), prop::bool::weighted(0.1))
            .prop_map(|(member, over, overridden)| Step::Book { member, over, overridden }),
        4 => (m(), prop::option::weighted(0.3, m())).prop_map(|(member, skip)| Step::Cancel { member, skip }),
        2 => m().prop_map(|member| Step::Leave { member }),
        2 => (m(), prop::bool::weighted(0.3)).prop_map(|(member, over)| Step::Promote { member, over }),
        2 => (1..6u32, prop::option::weighted(0.3, m())).prop_map(|(capacity, skip)| Step::Reschedule { capacity, skip }),
        1 => (m(), any::<bool>()).prop_map(|(member, attended)| Step::Mark { member, attended }),
        1 => Just(Step::Submit),
        1 => Just(Step::CancelClass),
    ]
}

fn command(step: &Step) -> ClassCommand {
    let reason = |yes: bool| yes.then(|| "staff said so".to_owned());
    let skips = |s: &Option<u128>| s.iter().map(|n| skip(*n, Denial::NoVisitsLeft)).collect();
    match step {
        Step::Book { member: n, over, overridden } => ClassCommand::Book {
            member: member(*n),
            membership: (!overridden).then_some(MONTHLY),
            override_reason: reason(*overridden),
            over_capacity: reason(*over),
        },
        Step::Cancel { member: n, skip } => ClassCommand::CancelBooking { member: member(*n), skipped: skips(skip) },
        Step::Leave { member: n } => ClassCommand::LeaveWaitlist { member: member(*n) },
        Step::Promote { member: n, over } => ClassCommand::Promote { member: member(*n), over_capacity: reason(*over) },
        Step::Reschedule { capacity, skip } => {
            ClassCommand::RescheduleClass { details: details(*capacity), skipped: skips(skip), released: vec![] }
        }
        Step::Mark { member: n, attended } => ClassCommand::MarkAttendance { member: member(*n), attended: *attended },
        Step::Submit => ClassCommand::SubmitAttendance,
        Step::CancelClass => ClassCommand::CancelClass { reason: "no heating".into() },
    }
}

/// A device: how much of the server's stream it has seen, and what it decided since, unsent.
#[derive(Default)]
struct Device {
    known: usize,
    unsent: Vec<ClassEvent>,
}

/// The server's stream and the class it folds to, checked after every event it stores.
struct Server {
    events: Vec<ClassEvent>,
    class: Class,
}

impl Server {
    fn append(&mut self, event: ClassEvent) -> Result<(), TestCaseError> {
        let device = DeviceId::new("server").unwrap();
        let version = self.events.len() as u64 + 1;
        let before = self.class.clone();
        self.class.evolve(&event, &EventMeta { version, hlc: Hlc::default(), device: &device });
        self.events.push(event.clone());
        invariants(&before, &self.class, &event, version)
    }

    /// A device's unsent events, as the server takes a push: at the head each is what its command
    /// decides; behind it each is merged.
    fn push(&mut self, device: &mut Device) -> Result<(), TestCaseError> {
        let at_head = device.known == self.events.len();
        let parent = device.known as u64;
        for event in std::mem::take(&mut device.unsent) {
            let desk = DeviceId::new("desk").unwrap();
            let meta = EventMeta { version: self.events.len() as u64 + 1, hlc: Hlc::default(), device: &desk };
            if at_head {
                prop_assert_eq!(self.class.validate(std::slice::from_ref(&event), &meta), Ok(1), "{:?}", event);
                self.append(event)?;
                continue;
            }
            match self.class.resolve(std::slice::from_ref(&event), &meta, parent).as_deref() {
                Ok([Resolution::Keep]) => self.append(event)?,
                Ok([Resolution::Replace(stored)]) => {
                    prop_assert!(Class::resolves(stored, &event), "{:?} is no resolution of {:?}", stored, event);
                    self.append(stored.clone())?
                }
                Ok(other) => prop_assert!(false, "one event, one resolution: {:?}", other),
                // The conflict inbox: a person decides; nothing is stored.
                Err(_) => {}
            }
        }
        device.known = self.events.len();
        Ok(())
    }
}

/// What holds of every class after every event: never beyond the capacity without a recorded
/// reason, members once each, the waitlist in waitlist-entry order, and the spots an event gave
/// by itself went to the first waiting members it did not pass over.
fn invariants(before: &Class, after: &Class, event: &ClassEvent, version: u64) -> Result<(), TestCaseError> {
    let capacity = after.details.as_ref().map_or(0, |d| d.capacity as usize);
    prop_assert!(
        after.bookings.len() <= capacity + after.over_capacity(),
        "{} booked, capacity {}, {} beyond it with a reason, after {:?}",
        after.bookings.len(),
        capacity,
        after.over_capacity(),
        event
    );
    let mut members: Vec<uuid::Uuid> = roster(after).into_iter().chain(waiting(after)).collect();
    let n = members.len();
    members.sort();
    members.dedup();
    prop_assert_eq!(members.len(), n, "a member booked or waiting twice: {:?}", after);
    let order: Vec<(u64, uuid::Uuid)> = after.waitlist.iter().map(|w| (w.at_ms, w.member)).collect();
    prop_assert!(order.windows(2).all(|p| p[0] < p[1]), "the waitlist is out of order: {:?}", order);
    let skipped: &[Skip] = match event {
        ClassEvent::BookingCancelled { skipped, .. } | ClassEvent::ClassRescheduled { skipped, .. } => skipped,
        _ => &[],
    };
    let by_this = |b: &&Booking| matches!(b.via, Via::Promoted { version: v, automatic: true, .. } if v == version);
    for promoted in after.bookings.iter().filter(by_this) {
        let was = before.waiting(promoted.member);
        prop_assert!(was.is_some(), "{:?} moved up without waiting", promoted.member);
        prop_assert!(!skipped.iter().any(|s| s.member == promoted.member), "a skipped member moved up");
        for w in after.waitlist.iter().filter(|w| !skipped.iter().any(|s| s.member == w.member)) {
            prop_assert!(
                (w.at_ms, w.member) > (promoted.at_ms, promoted.member),
                "{:?} moved up ahead of {:?}, waiting since earlier",
                promoted.member,
                w.member
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Two devices working offline on stale copies, syncing at random, at times out of order:
    /// whatever reaches the server keeps the class within its capacity (unless a reason was
    /// recorded) and moves waiting members up in waitlist-entry order.
    #[test]
    fn a_class_is_never_over_capacity_without_a_reason_and_moves_its_waitlist_up_in_order(
        capacity in 1..4u32,
        steps in prop::collection::vec((step(), 0..2usize, -90i64..2_000, prop::bool::weighted(0.25)), 1..60),
    ) {
        let mut server = Server { events: vec![], class: Class::default() };
        server.append(scheduled(capacity))?;
        let mut devices = [Device { known: 1, unsent: vec![] }, Device { known: 1, unsent: vec![] }];
        for (step, d, minutes_before, sync) in steps {
            let device = &mut devices[d];
            let mut seen = server.events[..device.known].to_vec();
            seen.extend(device.unsent.iter().cloned());
            let now = (start() as i64 - minutes_before * MIN as i64) as u64;
            if let Ok(events) = class(&seen).decide(command(&step), now) {
                device.unsent.extend(events);
            }
            if sync {
                server.push(device)?;
            }
        }
        for device in &mut devices {
            server.push(device)?;
        }
        prop_assert_eq!(class(&server.events), server.class.clone(), "the stream folds as it was checked");
    }
}
