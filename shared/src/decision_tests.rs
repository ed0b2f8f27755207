//! The contract for decisions of several events, on a small visit-card aggregate made for these
//! tests (no registered aggregate decides more than one event yet): the server re-decides each
//! incoming decision as a whole, and a rebase keeps or compensates it as a whole.

use crate::{
    aggregate::{Aggregate, DomainEvent, EventMeta, Policy, Resolution, Unresolved, Validation},
    hlc::Hlc,
    ids::DeviceId,
    StreamKind,
};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq)]
struct Card {
    visits_left: u32,
}

#[derive(Debug)]
enum CardCommand {
    TopUp(u32),
    Visit,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum CardEvent {
    ToppedUp {
        visits: u32,
    },
    /// A visit, and the visit it used (always decided together).
    Visited {
        at_ms: u64,
    },
    VisitUsed {
        left: u32,
    },
    /// What records a visit and its use that no longer held when rebased.
    VisitNotCounted {
        at_ms: u64,
    },
    VisitNotUsed {},
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
enum CardError {
    #[error("no visits left")]
    NoVisitsLeft,
}

impl DomainEvent for CardEvent {
    fn event_type(&self) -> &'static str {
        match self {
            CardEvent::ToppedUp { .. } => "ToppedUp",
            CardEvent::Visited { .. } => "Visited",
            CardEvent::VisitUsed { .. } => "VisitUsed",
            CardEvent::VisitNotCounted { .. } => "VisitNotCounted",
            CardEvent::VisitNotUsed {} => "VisitNotUsed",
        }
    }

    fn known_types() -> &'static [&'static str] {
        &["ToppedUp", "Visited", "VisitUsed", "VisitNotCounted", "VisitNotUsed"]
    }
}

impl Aggregate for Card {
    const KIND: StreamKind = StreamKind::Member;
    type Command = CardCommand;
    type Event = CardEvent;
    type Error = CardError;

    fn permission(_: &CardCommand) -> crate::access::Permission {
        crate::access::Permission::CheckIn
    }

    fn decide(&self, command: CardCommand, now_ms: u64) -> Result<Vec<CardEvent>, CardError> {
        match command {
            CardCommand::TopUp(visits) => Ok(vec![CardEvent::ToppedUp { visits }]),
            CardCommand::Visit if self.visits_left == 0 => Err(CardError::NoVisitsLeft),
            CardCommand::Visit => {
                Ok(vec![CardEvent::Visited { at_ms: now_ms }, CardEvent::VisitUsed { left: self.visits_left - 1 }])
            }
        }
    }

    fn evolve(&mut self, event: &CardEvent, _meta: &EventMeta<'_>) {
        match event {
            CardEvent::ToppedUp { visits } => self.visits_left += visits,
            CardEvent::VisitUsed { left } => self.visits_left = *left,
            _ => {}
        }
    }

    fn command_of(event: &CardEvent) -> Option<(CardCommand, u64)> {
        match event {
            CardEvent::ToppedUp { visits } => Some((CardCommand::TopUp(*visits), 0)),
            CardEvent::Visited { at_ms } => Some((CardCommand::Visit, *at_ms)),
            // Only ever decided with a visit: never a decision of its own.
            _ => None,
        }
    }

    fn policy(_event: &CardEvent) -> Policy {
        Policy::Rebase
    }

    fn compensate(&self, decision: &[CardEvent], _error: &CardError) -> Option<Vec<CardEvent>> {
        match decision {
            [CardEvent::Visited { at_ms }, CardEvent::VisitUsed { .. }, ..] => {
                Some(vec![CardEvent::VisitNotCounted { at_ms: *at_ms }, CardEvent::VisitNotUsed {}])
            }
            _ => None,
        }
    }
}

fn card(visits: u32) -> Card {
    Card::from_events(&[CardEvent::ToppedUp { visits }])
}

fn check(state: &Card, events: &[CardEvent]) -> Result<usize, Validation<CardError>> {
    let device = DeviceId::new("desk-1").unwrap();
    state.validate(events, &EventMeta { version: 2, hlc: Hlc { ms: 1_000, c: 0 }, device: &device })
}

fn rebase(state: &Card, events: &[CardEvent]) -> Result<Vec<Resolution<CardEvent>>, Unresolved<CardError>> {
    let device = DeviceId::new("desk-1").unwrap();
    state.resolve(events, &EventMeta { version: 3, hlc: Hlc { ms: 1_000, c: 0 }, device: &device }, 1)
}

fn visit(at_ms: u64, left: u32) -> [CardEvent; 2] {
    [CardEvent::Visited { at_ms }, CardEvent::VisitUsed { left }]
}

#[test]
fn a_decision_of_two_events_is_re_decided_as_a_whole_and_spans_both() {
    let decided = card(3).decide(CardCommand::Visit, 1_000).unwrap();
    assert_eq!(decided, visit(1_000, 2));
    assert_eq!(check(&card(3), &decided), Ok(2));
    // Followed by another decision in the same batch: only its own events are its.
    let mut batch = decided.clone();
    batch.push(CardEvent::ToppedUp { visits: 5 });
    assert_eq!(check(&card(3), &batch), Ok(2));
}

#[test]
fn the_second_event_of_a_decision_sent_alone_is_refused() {
    assert_eq!(check(&card(3), &[CardEvent::VisitUsed { left: 2 }]), Err(Validation::Mismatch));
}

#[test]
fn a_decision_with_an_event_altered_or_left_out_is_refused() {
    assert_eq!(check(&card(3), &visit(1_000, 9)), Err(Validation::Mismatch), "a forged count of visits left");
    assert_eq!(check(&card(3), &visit(1_000, 2)[..1]), Err(Validation::Mismatch), "the visit without its use");
    assert_eq!(check(&card(0), &visit(1_000, 0)), Err(Validation::Refused(CardError::NoVisitsLeft)));
}

#[test]
fn a_rebased_decision_that_still_holds_is_kept_whole() {
    let kept = rebase(&card(2), &visit(1_000, 1)).unwrap();
    assert_eq!(kept, vec![Resolution::Keep, Resolution::Keep]);
}

#[test]
fn a_rebased_decision_that_no_longer_holds_is_compensated_event_for_event() {
    // Decided on a card with one visit left; another desk used it first.
    let compensated = rebase(&card(0), &visit(1_000, 0)).unwrap();
    assert_eq!(
        compensated,
        vec![
            Resolution::Replace(CardEvent::VisitNotCounted { at_ms: 1_000 }),
            Resolution::Replace(CardEvent::VisitNotUsed {})
        ]
    );
}

#[test]
fn a_rebased_decision_that_re_decides_into_other_events_goes_to_a_person() {
    // Two visits were left when it was decided; one is left now: the same command decides another count.
    assert_eq!(rebase(&card(1), &visit(1_000, 1)), Err(Unresolved::Conflict));
}
