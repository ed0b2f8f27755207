//! What a device tells its staff about the server's resolutions of conflicts, decided the same way
//! on every device (the in-memory reference and the browser store): a desk whose change did not take
//! effect hears of it, whichever desk pushed first.

use crate::{
    aggregate::EventMeta,
    envelope::EventEnvelope,
    ids::DeviceId,
    registry::{ForKind, ForState, Registered},
    StreamState,
};

/// Whether `stored`, the server's copy of this device's pending event `sent`, tells its staff of
/// something they did not decide (a check-in not counted, a change overwritten by a later one, a
/// class's move that released other bookings than this device saw): see `Aggregate::told`.
pub fn corrects(sent: &EventEnvelope, stored: &EventEnvelope) -> bool {
    stored.stream.kind.run(Told { sent, stored })
}

struct Told<'a> {
    sent: &'a EventEnvelope,
    stored: &'a EventEnvelope,
}

impl ForKind for Told<'_> {
    type Output = bool;
    fn run<A: Registered>(self) -> bool {
        match (self.sent.decode::<A::Event>(), self.stored.decode::<A::Event>()) {
            (Ok(sent), Ok(stored)) => A::told(&sent, &stored),
            _ => false,
        }
    }
}

/// Whether `event`, arriving from another device, overwrote a change this `device` made: `before`
/// is the stream folded through the version before it.
pub fn overrules(before: &mut StreamState, event: &EventEnvelope, device: &DeviceId) -> bool {
    event.device != *device && before.visit(Overruled(event)).as_ref() == Some(device)
}

struct Overruled<'a>(&'a EventEnvelope);

impl ForState for Overruled<'_> {
    type Output = Option<DeviceId>;
    fn run<A: Registered>(self, state: &mut A) -> Option<DeviceId> {
        let event = self.0.decode::<A::Event>().ok()?;
        state.overruled(&event)
    }
}

/// Folds `events` (one stream's, in version order) into a fresh state of their kind, skipping what
/// does not decode.
pub fn fold<'a>(kind: crate::StreamKind, events: impl IntoIterator<Item = &'a EventEnvelope>) -> StreamState {
    let mut state = StreamState::new(kind);
    for e in events {
        state.visit(FoldOne(e));
    }
    state
}

struct FoldOne<'a>(&'a EventEnvelope);

impl ForState for FoldOne<'_> {
    type Output = ();
    fn run<A: Registered>(self, state: &mut A) {
        if let Ok(event) = self.0.decode::<A::Event>() {
            state.evolve(&event, &EventMeta::of(self.0));
        }
    }
}
