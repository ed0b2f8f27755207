//! The rows the pages show, read from the store's generic read-model records: the one place the
//! runtime knows which table feeds which signal. A new aggregate's lists add their mapping here.

use crate::store::{RowRecord, StreamRecord};
use app::client::{CheckInHow, CheckInRow, ClassRow, MemberRow};
use shared::{class::Class, member::Member, projection::Projected, StreamKind};

/// The `check_ins` table (`Member::TABLES`) and its index by time.
pub const CHECK_INS: &str = "check_ins";
pub const CHECK_INS_BY_AT: &str = "by_at";

/// The members table (`Member::STREAMS`).
pub fn members_table() -> &'static str {
    Member::STREAMS
}

/// A member as the list shows them: `Ok(None)` for a stream that is not listed (nothing counts of
/// its registration), `Err` for another kind's row or an unreadable one.
pub fn member_row(record: &StreamRecord) -> Result<Option<MemberRow>, String> {
    let stream = record.stream().filter(|s| s.kind == StreamKind::Member).ok_or("not a member's row")?;
    if !record.listed {
        return Ok(None);
    }
    let member = record.state::<Member>()?;
    Ok(Some(MemberRow::new(stream.id, &member, record.pending)))
}

/// The classes table (`Class::STREAMS`).
pub fn classes_table() -> &'static str {
    Class::STREAMS
}

/// A class as the timetable shows it: `Ok(None)` for a stream that is not listed (its schedule
/// did not stand), `Err` for another kind's row or an unreadable one.
pub fn class_row(record: &StreamRecord) -> Result<Option<ClassRow>, String> {
    let stream = record.stream().filter(|s| s.kind == StreamKind::Class).ok_or("not a class's row")?;
    if !record.listed {
        return Ok(None);
    }
    let class = record.state::<Class>()?;
    Ok(Some(ClassRow { id: stream.id, pending: record.pending, class: std::sync::Arc::new(class) }))
}

/// A check-in as the day's list shows it.
pub fn check_in_row(record: &RowRecord) -> Option<CheckInRow> {
    let value = &record.value;
    Some(CheckInRow {
        event_id: record.key.parse().ok()?,
        member: value.get("member")?.as_str()?.parse().ok()?,
        at_ms: value.get("at_ms")?.as_u64()?,
        pending: record.pending,
        how: CheckInHow::from_code(value.get("how").and_then(|h| h.as_str()).unwrap_or_default()),
    })
}
