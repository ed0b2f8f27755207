//! given / when / then for aggregates, in the style of cqrs-es's `TestFramework`.

use crate::aggregate::{Aggregate, EventMeta};

/// Metadata for an event in a test that does not look at it.
pub fn meta(device: &crate::DeviceId) -> EventMeta<'_> {
    EventMeta { version: 1, hlc: crate::Hlc::default(), device }
}

pub fn given<A: Aggregate>(events: Vec<A::Event>) -> Given<A> {
    Given { state: A::from_events(&events) }
}

pub struct Given<A: Aggregate> {
    state: A,
}

impl<A: Aggregate> Given<A> {
    pub fn when(self, command: A::Command) -> When<A> {
        self.when_at(command, 0)
    }

    pub fn when_at(self, command: A::Command, now_ms: u64) -> When<A> {
        let result = self.state.decide(command, now_ms);
        When { state: self.state, result }
    }
}

pub struct When<A: Aggregate> {
    state: A,
    result: Result<Vec<A::Event>, A::Error>,
}

impl<A: Aggregate> When<A> {
    #[track_caller]
    pub fn then_expect(self, expected: Vec<A::Event>) {
        let events = self.result.expect("the command should have been accepted");
        assert_eq!(events, expected);
        // Whatever decide produces must pass the server's validation of the same events.
        let mut state = self.state;
        let device = crate::DeviceId::new("then").expect("a valid device id");
        let meta = meta(&device);
        let mut i = 0;
        while i < events.len() {
            // As the server reads a batch: decision by decision, each re-decided as a whole (a
            // form's changes of several fields are one decision to staff, one per field to it).
            let spans = state.validate(&events[i..], &meta);
            let spans = spans.unwrap_or_else(|e| panic!("the decided events {events:?} fail validation at {i}: {e}"));
            for e in &events[i..i + spans] {
                state.evolve(e, &meta);
            }
            i += spans;
        }
    }

    #[track_caller]
    pub fn then_expect_error(self, expected: A::Error) {
        assert_eq!(self.result, Err(expected));
    }

    /// The refusal, for a closer look at it.
    #[track_caller]
    pub fn error(self) -> A::Error {
        match self.result {
            Err(e) => e,
            Ok(events) => panic!("the command should have been refused, but decided {events:?}"),
        }
    }
}
