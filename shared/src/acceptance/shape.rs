//! The checks of a push that need no stored data. A request that fails one stores nothing.

use super::stream_state::canonical;
use crate::{
    aggregate::DecodeError,
    calendar::Date,
    ids::{event_id_ms, is_event_id},
    protocol::{PushRequest, MAX_CLOCK_AHEAD_MS, MAX_EVENTS_PER_PUSH, MAX_EVENT_DATA_BYTES, MAX_POSITION},
    stream::StreamId,
    text,
};
use std::collections::HashSet;
use uuid::Uuid;

/// Why a request is refused before any stream is looked at. Nothing of it is stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShapeError {
    #[error("a push holds at most {MAX_EVENTS_PER_PUSH} events, this one {0}")]
    TooManyEvents(usize),
    #[error("batch for {0} has no events")]
    EmptyBatch(StreamId),
    #[error("two batches for stream {0}: send one per stream")]
    DuplicateStream(StreamId),
    #[error("event {event} belongs to {actual}, not to the batch's stream {stream}")]
    StreamMismatch { stream: StreamId, event: Uuid, actual: StreamId },
    #[error("parent_version {parent} of {stream} is not a version (at most {MAX_POSITION})")]
    VersionOutOfRange { stream: StreamId, parent: u64 },
    #[error("versions of {stream} must run {expected}, {}, … after parent_version; event {event} has {actual}", expected + 1)]
    VersionsNotContiguous { stream: StreamId, event: Uuid, expected: u64, actual: u64 },
    #[error("event id {0} is not a UUIDv7")]
    InvalidEventId(Uuid),
    #[error("event id {0} appears twice in this push")]
    DuplicateEventId(Uuid),
    #[error("event {0} carries a position: positions are given by the server")]
    PositionGiven(Uuid),
    #[error("event {event}: {source}")]
    Undecodable { stream: StreamId, event: Uuid, source: DecodeError },
    #[error("event {event}'s data is {bytes} bytes; an event holds at most {MAX_EVENT_DATA_BYTES}")]
    EventTooLarge { stream: StreamId, event: Uuid, bytes: usize },
    #[error(
        "this change was stamped {} ahead of the server's clock (at most {} is allowed): the clock of the device \
         that made it is wrong; set its date and time right",
        text::duration(*ahead_ms),
        text::duration(MAX_CLOCK_AHEAD_MS)
    )]
    ClockAhead { stream: StreamId, event: Uuid, ahead_ms: u64 },
    #[error(
        "this change is dated before 2023, when no Faraday log existed yet: the clock of the device that made it \
         is wrong; set its date and time right"
    )]
    ClockBehind { stream: StreamId, event: Uuid, at_ms: u64 },
    /// The time an event records and the time in its id are one reading of the device's clock:
    /// a check-in dated otherwise is back-dated, which a device's command never does.
    #[error("event {event} records a time {} away from when it was made (its id's time)", text::duration(*apart_ms))]
    TimeMismatch { stream: StreamId, event: Uuid, apart_ms: u64 },
    /// A club-local date (`on`) is the day of the device's clock in the club's zone when the event
    /// was made: never more than a day off the UTC date of its id's time.
    #[error(
        "event {event} is dated {on}, {} day(s) away from the day it was made ({made} UTC, its id's time): \
         a club's date is never more than a day off",
        .days_apart.abs()
    )]
    DateMismatch { stream: StreamId, event: Uuid, on: Date, made: Date, days_apart: i32 },
    #[error("event {event}'s hybrid clock counter {counter} is beyond any device's ({MAX_HLC_COUNTER} at most)")]
    CounterTooLarge { stream: StreamId, event: Uuid, counter: u32 },
}

impl ShapeError {
    pub fn code(&self) -> &'static str {
        match self {
            ShapeError::TooManyEvents(_) => "too_many_events",
            ShapeError::EmptyBatch(_) => "empty_batch",
            ShapeError::DuplicateStream(_) => "duplicate_stream",
            ShapeError::StreamMismatch { .. } => "stream_mismatch",
            ShapeError::VersionOutOfRange { .. } => "version_out_of_range",
            ShapeError::VersionsNotContiguous { .. } => "versions_not_contiguous",
            ShapeError::InvalidEventId(_) => "invalid_event_id",
            ShapeError::DuplicateEventId(_) => "duplicate_event_id",
            ShapeError::PositionGiven(_) => "position_given",
            ShapeError::Undecodable { source: DecodeError::UnknownType(_), .. } => "unknown_event_type",
            ShapeError::Undecodable { source: DecodeError::UnknownSchemaVersion { .. }, .. } => {
                "unknown_schema_version"
            }
            ShapeError::Undecodable { .. } => "invalid_event_data",
            ShapeError::EventTooLarge { .. } => "event_too_large",
            ShapeError::ClockAhead { .. } => "clock_ahead",
            ShapeError::ClockBehind { .. } => "clock_behind",
            ShapeError::TimeMismatch { .. } => "time_mismatch",
            ShapeError::DateMismatch { .. } => "date_mismatch",
            ShapeError::CounterTooLarge { .. } => "clock_counter_too_large",
        }
    }

    /// The event the error is about, when it is about one.
    pub fn event(&self) -> Option<Uuid> {
        match self {
            ShapeError::StreamMismatch { event, .. }
            | ShapeError::VersionsNotContiguous { event, .. }
            | ShapeError::Undecodable { event, .. }
            | ShapeError::EventTooLarge { event, .. }
            | ShapeError::ClockAhead { event, .. }
            | ShapeError::ClockBehind { event, .. }
            | ShapeError::TimeMismatch { event, .. }
            | ShapeError::DateMismatch { event, .. }
            | ShapeError::CounterTooLarge { event, .. } => Some(*event),
            ShapeError::InvalidEventId(id) | ShapeError::DuplicateEventId(id) | ShapeError::PositionGiven(id) => {
                Some(*id)
            }
            _ => None,
        }
    }

    pub fn stream(&self) -> Option<StreamId> {
        match self {
            ShapeError::EmptyBatch(s) | ShapeError::DuplicateStream(s) => Some(*s),
            ShapeError::StreamMismatch { stream, .. }
            | ShapeError::VersionOutOfRange { stream, .. }
            | ShapeError::VersionsNotContiguous { stream, .. }
            | ShapeError::Undecodable { stream, .. }
            | ShapeError::EventTooLarge { stream, .. }
            | ShapeError::ClockAhead { stream, .. }
            | ShapeError::ClockBehind { stream, .. }
            | ShapeError::TimeMismatch { stream, .. }
            | ShapeError::DateMismatch { stream, .. }
            | ShapeError::CounterTooLarge { stream, .. } => Some(*stream),
            _ => None,
        }
    }
}

/// No event is older than this (2023-01-01, before any Faraday log existed, ms since the epoch): a
/// time before it comes from a device whose clock was never set (1970) or a forged event.
pub const EARLIEST_EVENT_MS: u64 = 1_672_531_200_000;

/// The largest hybrid-clock counter accepted: a device would need a million events in one
/// millisecond to reach it.
pub const MAX_HLC_COUNTER: u32 = 1 << 20;

/// How far the time an event records may be from its id's time (ms): both are read from the
/// device's clock when the command is decided; a minute leaves room for clients that read it twice.
pub const MAX_DECIDED_APART_MS: u64 = 60_000;

/// Checks everything that needs no stored data, with the server's clock at `now_ms`.
///
/// An event's `device` names the device that made it, which need not be the one pushing: after the
/// server's log was restored, a device offers back every event it holds that the server lost,
/// other devices' included (docs/PROTOCOL.md, "Epochs").
pub fn check_request(request: &PushRequest, now_ms: u64) -> Result<(), ShapeError> {
    let total: usize = request.batches.iter().map(|b| b.events.len()).sum();
    if total > MAX_EVENTS_PER_PUSH {
        return Err(ShapeError::TooManyEvents(total));
    }
    let latest_allowed = now_ms.saturating_add(MAX_CLOCK_AHEAD_MS);
    let mut streams = HashSet::new();
    let mut ids = HashSet::with_capacity(total);
    for batch in &request.batches {
        let stream = batch.stream;
        if batch.events.is_empty() {
            return Err(ShapeError::EmptyBatch(stream));
        }
        if !streams.insert(stream) {
            return Err(ShapeError::DuplicateStream(stream));
        }
        // Versions are stored as signed 64-bit integers, and the batch's run must fit above its parent.
        if batch.parent_version > MAX_POSITION - MAX_EVENTS_PER_PUSH as u64 {
            return Err(ShapeError::VersionOutOfRange { stream, parent: batch.parent_version });
        }
        for (i, e) in batch.events.iter().enumerate() {
            if e.stream != stream {
                return Err(ShapeError::StreamMismatch { stream, event: e.id, actual: e.stream });
            }
            let expected = batch.parent_version + i as u64;
            if e.version != expected + 1 {
                return Err(ShapeError::VersionsNotContiguous { stream, event: e.id, expected, actual: e.version });
            }
            if !is_event_id(&e.id) {
                return Err(ShapeError::InvalidEventId(e.id));
            }
            if !ids.insert(e.id) {
                return Err(ShapeError::DuplicateEventId(e.id));
            }
            if e.position.is_some() {
                return Err(ShapeError::PositionGiven(e.id));
            }
            let canonical =
                canonical(stream.kind, e).map_err(|source| ShapeError::Undecodable { stream, event: e.id, source })?;
            let bytes = json_len(&canonical.data);
            if bytes > MAX_EVENT_DATA_BYTES {
                return Err(ShapeError::EventTooLarge { stream, event: e.id, bytes });
            }
            // The latest time the event carries: its id's, its stamp's or the moment it records.
            let id_ms = event_id_ms(&e.id);
            let stamped = id_ms.max(e.hlc.ms).max(canonical.decided_at_ms.unwrap_or(0));
            if stamped > latest_allowed {
                return Err(ShapeError::ClockAhead { stream, event: e.id, ahead_ms: stamped - now_ms });
            }
            // The earliest time the event carries, of the same three.
            let earliest =
                [Some(id_ms), Some(e.hlc.ms), canonical.decided_at_ms].into_iter().flatten().min().unwrap_or(0);
            if earliest < EARLIEST_EVENT_MS {
                return Err(ShapeError::ClockBehind { stream, event: e.id, at_ms: earliest });
            }
            // Within one millisecond a device counts its events; a counter in the millions is a
            // forgery that would pin the counters of every device that sees it.
            if e.hlc.c > MAX_HLC_COUNTER {
                return Err(ShapeError::CounterTooLarge { stream, event: e.id, counter: e.hlc.c });
            }
            if let Some(at_ms) = canonical.decided_at_ms {
                let apart_ms = at_ms.abs_diff(id_ms);
                if apart_ms > MAX_DECIDED_APART_MS {
                    return Err(ShapeError::TimeMismatch { stream, event: e.id, apart_ms });
                }
            }
            if let Some(on) = canonical.club_date {
                let made = Date::utc_of(id_ms);
                let days_apart = made.days_until(on);
                if days_apart.abs() > 1 {
                    return Err(ShapeError::DateMismatch { stream, event: e.id, on, made, days_apart });
                }
            }
        }
    }
    Ok(())
}

/// The length of a value's JSON, counted without building it.
fn json_len(value: &serde_json::Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value).expect("a JSON value always serialises");
    count.0
}
