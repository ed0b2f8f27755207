//! Read models as pure code: what a stream's state and its events put in tables. The browser's
//! IndexedDB store and the server's SQL store both apply these (the seeds' current-state read
//! models), so the same log gives the same rows on every side; [`ReadModels::fold`] is the
//! reference both are tested against.

use crate::{
    aggregate::{Aggregate, EventMeta},
    envelope::EventEnvelope,
    registry::{ForKind, Registered},
    stream::StreamId,
};
use serde::{de::DeserializeOwned, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A table of rows derived from single events, keyed by the event's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    /// Secondary indexes: (index name, the field of the row's value it orders by).
    pub indexes: &'static [(&'static str, &'static str)],
}

/// One row of an event table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub table: &'static str,
    /// The event the row comes from.
    pub key: Uuid,
    /// What the server's `GET` orders and filters the table by (for check-ins: the time, ms since
    /// the epoch).
    pub sort: u64,
    /// A JSON object; the fields the table's indexes name are in it.
    pub value: serde_json::Value,
}

/// An aggregate's read models: one row per stream (its state, in the table `STREAMS`), and rows
/// derived from single events (in `TABLES`).
pub trait Projected: Aggregate + Serialize + DeserializeOwned {
    /// The table of this kind's streams, one row per stream: its folded state.
    const STREAMS: &'static str;
    /// Tables of rows derived from single events.
    const TABLES: &'static [Table];

    /// The rows `event` (stored as `envelope`) puts in `TABLES`: at most one (the server indexes
    /// the event itself as that row).
    fn rows(envelope: &EventEnvelope, event: &Self::Event) -> Vec<Row>;

    /// Whether a stream in this state is listed (a member with no registration that counts is not).
    fn listed(&self) -> bool {
        true
    }

    /// What staff call this stream where its events are listed without its page (the inbox): a
    /// member's name. Empty when there is nothing to call it by yet.
    fn title(&self) -> String {
        String::new()
    }
}

/// Every read model of a log: what both sides' stores must hold after applying it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReadModels {
    /// Per stream: its version and its state as the stream table stores it.
    pub streams: BTreeMap<StreamId, (u64, serde_json::Value)>,
    /// Per (table, event id): the row's sort value and value.
    pub rows: BTreeMap<(&'static str, Uuid), (u64, serde_json::Value)>,
}

impl ReadModels {
    /// Folds `log` (each stream's events in version order) into its read models. An event that
    /// does not decode is skipped (a newer app's event; the log keeps it).
    pub fn fold<'a>(log: impl IntoIterator<Item = &'a EventEnvelope>) -> Self {
        let mut by_stream: BTreeMap<StreamId, Vec<&EventEnvelope>> = BTreeMap::new();
        for e in log {
            by_stream.entry(e.stream).or_default().push(e);
        }
        let mut models = ReadModels::default();
        for (stream, mut events) in by_stream {
            events.sort_by_key(|e| e.version);
            stream.kind.run(FoldStream { stream, events: &events, models: &mut models });
        }
        models
    }
}

struct FoldStream<'a, 'b> {
    stream: StreamId,
    events: &'a [&'a EventEnvelope],
    models: &'b mut ReadModels,
}

impl ForKind for FoldStream<'_, '_> {
    type Output = ();
    fn run<A: Registered>(self) {
        let mut state = A::default();
        let mut version = 0;
        for envelope in self.events {
            version = envelope.version;
            let Ok(event) = envelope.decode::<A::Event>() else { continue };
            state.evolve(&event, &EventMeta::of(envelope));
            for row in A::rows(envelope, &event) {
                self.models.rows.insert((row.table, row.key), (row.sort, row.value));
            }
        }
        self.models.streams.insert(self.stream, (version, state_value(&state)));
    }
}

/// A state as its stream table stores it.
pub fn state_value<A: Serialize>(state: &A) -> serde_json::Value {
    serde_json::to_value(state).expect("aggregate states always serialize")
}

/// Reads a state back from its stream table.
pub fn state_from<A: DeserializeOwned>(value: &serde_json::Value) -> Result<A, serde_json::Error> {
    A::deserialize(value)
}

/// Bumped whenever a projection's rows change meaning: stores built with another signature are
/// rebuilt from the log. (3: a late cancel after a waived one is charged again; 4: a waived no-show
/// stays when the member is marked as there.)
const VERSION: u32 = 4;

/// The projections this app builds, named: `VERSION` and every table with its indexes.
pub fn signature() -> String {
    let mut tables = vec![format!("v{VERSION}")];
    for kind in crate::registry::StreamKind::ALL {
        let (streams, event_tables) = kind.run(Tables);
        tables.push(streams.to_owned());
        for t in event_tables {
            let indexes: Vec<String> = t.indexes.iter().map(|(name, field)| format!("{name}:{field}")).collect();
            tables.push(format!("{}({})", t.name, indexes.join(",")));
        }
    }
    tables.join(";")
}

/// The stream table and event tables of the aggregate behind a kind.
pub struct Tables;

impl ForKind for Tables {
    type Output = (&'static str, &'static [Table]);
    fn run<A: Registered>(self) -> Self::Output {
        (A::STREAMS, A::TABLES)
    }
}

/// The rows one stored event puts in its aggregate's event tables (none if it does not decode).
pub fn rows_of(envelope: &EventEnvelope) -> Vec<Row> {
    envelope.stream.kind.run(RowsOf(envelope))
}

struct RowsOf<'a>(&'a EventEnvelope);

impl ForKind for RowsOf<'_> {
    type Output = Vec<Row>;
    fn run<A: Registered>(self) -> Vec<Row> {
        match self.0.decode::<A::Event>() {
            Ok(event) => A::rows(self.0, &event),
            Err(_) => vec![],
        }
    }
}

/// A stream's state as its stream table stores it: (the table, the state).
pub fn stream_row(state: &mut crate::registry::StreamState) -> (&'static str, serde_json::Value) {
    state.visit(StreamRow)
}

struct StreamRow;

impl crate::registry::ForState for StreamRow {
    type Output = (&'static str, serde_json::Value);
    fn run<A: Registered>(self, state: &mut A) -> Self::Output {
        (A::STREAMS, state_value(state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        member::{Member, MemberCommand},
        replication::memory::MemoryDevice,
    };

    #[test]
    fn a_log_folds_into_one_row_per_member_and_one_per_check_in_that_counts() {
        use crate::testing::members::{at, check_in, monday, unlimited_monthly, MONTHLY, MONTHLY_PLAN};
        let mut desk = MemoryDevice::new("desk-1", 1);
        let anna = StreamId::member(Uuid::from_u128(1));
        let register =
            MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
        desk.execute::<Member>(anna, register, at(480)).unwrap();
        let sale = MemberCommand::SellMembership {
            membership: MONTHLY,
            plan: MONTHLY_PLAN,
            terms: unlimited_monthly(),
            start: crate::member::Start::On(monday()),
            on: monday(),
        };
        desk.execute::<Member>(anna, sale, at(481)).unwrap();
        desk.execute::<Member>(anna, check_in(monday(), MONTHLY), at(482)).unwrap();
        let log: Vec<EventEnvelope> = desk.pending();
        let models = ReadModels::fold(&log);
        let (version, state) = &models.streams[&anna];
        assert_eq!(*version, 3);
        let member = state_from::<Member>(state).unwrap();
        assert_eq!((member.name.as_str(), member.memberships.len()), ("Anna", 1));
        assert!(!models.rows.contains_key(&("check_ins", log[1].id)), "a sale is no visit");
        let check_in = &models.rows[&("check_ins", log[2].id)];
        assert_eq!(check_in.0, at(482));
        assert_eq!(check_in.1["member"], serde_json::json!(anna.id));
        assert_eq!(check_in.1["membership"], serde_json::json!(MONTHLY));
        assert_eq!(check_in.1["how"], "checked_in");
        assert!(signature().contains("check_ins(by_at:at_ms,by_member:member)"), "{}", signature());
    }
}
