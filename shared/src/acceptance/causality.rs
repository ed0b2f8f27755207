//! A device's event cannot have been made before the events it was built on. The server cannot
//! know when an offline device really decided something (docs/PROTOCOL.md, "Time"), but it knows
//! what the device had seen: the event at the batch's parent version. A device that had seen it
//! had its stamp (a hybrid clock orders every later stamp after it), so a batch stamped well
//! before its parent was made by a clock set back or by hand: a booking dated before the class
//! was scheduled, a cancellation dated before the attendance it escapes was submitted.

use super::Refusal;
use crate::{envelope::EventEnvelope, ids::event_id_ms, protocol::PushBatch, protocol::MAX_CLOCK_AHEAD_MS};

/// How far before the event it was built on a device's event may be stamped: a stamp is stored
/// when at most [`MAX_CLOCK_AHEAD_MS`] ahead of the server's clock, a device records only while its
/// clock is within that bound of the server's, and its hybrid clock does not adopt a stamp
/// further ahead of it than that (`crate::hlc`): an honest device's event can be up to twice the
/// bound (10 min) earlier than its parent's stamp, never more.
pub const MAX_BEFORE_PARENT_MS: u64 = 2 * MAX_CLOCK_AHEAD_MS;

/// Refuses (422 `rule_broken`, nothing stored) a device's `batch` with an event stamped more than
/// [`MAX_BEFORE_PARENT_MS`] before what it was built on: `parent` (the stored event at the
/// batch's parent version; none for a new stream) and the batch's events before it. The event's
/// earliest time counts, of its id's and its stamp's. Imports and the demo do not pass here: a
/// log stored before this check may hold such events, and stays importable.
pub fn check_after_parent(parent: Option<&EventEnvelope>, batch: &PushBatch) -> Result<(), Refusal> {
    let mut seen_ms = parent.map_or(0, |p| p.hlc.ms);
    let mut seen_version = batch.parent_version;
    for e in &batch.events {
        let made_ms = event_id_ms(&e.id).min(e.hlc.ms);
        if made_ms.saturating_add(MAX_BEFORE_PARENT_MS) < seen_ms {
            return Err(Refusal::RuleBroken {
                stream: batch.stream,
                event: e.id,
                reason: format!(
                    "it is stamped {} min before version {seen_version} of the stream, which the device had \
                     seen when it made it: the clock of the device that made it was wrong (set it right and \
                     make the change again)",
                    (seen_ms - made_ms).div_ceil(60_000)
                ),
            });
        }
        seen_ms = seen_ms.max(e.hlc.ms);
        seen_version = e.version;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{hlc::Hlc, ids::new_event_id, DeviceId, StreamId, StreamKind};
    use uuid::Uuid;

    const NOW: u64 = 1_780_000_000_000;
    const MIN: u64 = 60_000;

    fn event(version: u64, made_ms: u64, hlc_ms: u64) -> EventEnvelope {
        EventEnvelope {
            id: new_event_id(made_ms, [version as u8; 10]),
            stream: StreamId::new(StreamKind::Class, Uuid::from_u128(9)),
            version,
            event_type: "ClassBooked".into(),
            schema_version: 1,
            data: serde_json::json!({}),
            hlc: Hlc { ms: hlc_ms, c: 0 },
            device: DeviceId::new("desk-2").unwrap(),
            staff: None,
            position: None,
        }
    }

    fn batch(events: Vec<EventEnvelope>) -> PushBatch {
        PushBatch { stream: events[0].stream, parent_version: events[0].version - 1, events }
    }

    #[test]
    fn a_booking_stamped_days_before_the_class_it_books_was_scheduled_is_refused() {
        let scheduled = event(1, NOW, NOW);
        let three_days_ago = NOW - 3 * 24 * 60 * MIN;
        let err =
            check_after_parent(Some(&scheduled), &batch(vec![event(2, three_days_ago, three_days_ago)])).unwrap_err();
        assert_eq!(err.code(), "rule_broken");
        assert!(err.to_string().contains("4320 min before version 1"), "{err}");
    }

    #[test]
    fn a_slow_clock_within_the_bounds_and_an_offline_desk_later_than_its_parent_are_stored() {
        // The parent was stamped by a clock 5 min fast, this desk's runs 5 min slow: 10 min apart.
        let parent = event(3, NOW + 5 * MIN, NOW + 5 * MIN);
        assert!(check_after_parent(Some(&parent), &batch(vec![event(4, NOW - 5 * MIN, NOW - 5 * MIN)])).is_ok());
        // Made offline hours after what it had seen.
        assert!(
            check_after_parent(Some(&parent), &batch(vec![event(4, NOW + 3 * 60 * MIN, NOW + 3 * 60 * MIN)])).is_ok()
        );
        // A new stream has nothing before it.
        assert!(check_after_parent(None, &batch(vec![event(1, NOW - 60 * MIN, NOW - 60 * MIN)])).is_ok());
    }

    #[test]
    fn an_id_or_a_stamp_set_back_alone_is_enough_to_refuse_and_so_is_a_later_event_of_the_batch() {
        let parent = event(1, NOW, NOW);
        let id_back = event(2, NOW - 60 * MIN, NOW);
        assert!(check_after_parent(Some(&parent), &batch(vec![id_back])).is_err());
        let stamp_back = event(2, NOW, NOW - 60 * MIN);
        assert!(check_after_parent(Some(&parent), &batch(vec![stamp_back])).is_err());
        // A booking now, then its cancellation stamped an hour before it.
        let later_back = batch(vec![event(2, NOW, NOW), event(3, NOW - 60 * MIN, NOW - 60 * MIN)]);
        let err = check_after_parent(Some(&parent), &later_back).unwrap_err();
        assert!(err.to_string().contains("before version 2"), "{err}");
    }
}
