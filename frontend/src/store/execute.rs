//! The repository (reference: `MemoryDevice::execute`): load the member's stream, decide with the
//! shared aggregate, wrap the new events and append them as pending, with the projections, in one
//! transaction.

use super::{db_error, decoded, fold::fold, get_meta, read_stream, records::*, writes::Writes, Changes, Store};
use crate::browser;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use shared::{
    aggregate::EventMeta,
    envelope::Stamp,
    member::{Member, MemberCommand, MemberError},
    registry::Registered,
    Aggregate, Command, EventEnvelope, HlcClock, RuleError, StreamId, StreamKind,
};

/// Why a command was not stored.
#[derive(Debug)]
pub enum ExecuteError {
    /// The aggregate refused it.
    Rule(RuleError),
    /// The command is for another kind of stream than `stream` (a bug of the caller).
    WrongKind { stream: StreamId, command: StreamKind },
    /// The store failed (the browser's reason).
    Store(String),
    /// The inbox entry to settle is not (or no longer) there.
    NotInInbox,
}

impl From<String> for ExecuteError {
    fn from(store: String) -> Self {
        ExecuteError::Store(store)
    }
}

/// A stream's stored events and the device's clock and append sequence, read in one transaction.
pub(super) struct Loaded {
    pub records: Vec<EventRecord>,
    pub clock: HlcClock,
    pub seq: u64,
}

impl Store {
    /// Decides `command` on `stream` with the stream's aggregate and stores the resulting events
    /// as pending.
    pub async fn execute(&self, stream: StreamId, command: Command, now_ms: u64) -> Result<Changes, ExecuteError> {
        // Every kind of stream this store projects; a new aggregate's kind is a compile error here.
        #[allow(unreachable_patterns)]
        let command = match (stream.kind, command) {
            (StreamKind::Member, Command::Member(command)) => command,
            (_, other) => return Err(ExecuteError::WrongKind { stream, command: other.kind() }),
        };
        let tx = self.transaction(&[EVENTS, MEMBERS, CHECK_INS, META], TransactionMode::Readwrite)?;
        let loaded = load(&tx, stream).await?;
        let mut writes = Writes::default();
        // A refusal drops the transaction, which rolls it back: nothing was written.
        self.decide_into(&mut writes, stream, &loaded, command, now_ms)
            .map_err(|e| ExecuteError::Rule(Member::into_error(e)))?;
        Ok(writes.commit(tx).await?)
    }

    /// Decides `command` on the stream as `loaded` holds it (with any change `writes` already made
    /// to those records applied to `loaded`), and adds the new pending events, the stream's
    /// projection, its check-in rows, the clock and the sequence to `writes`.
    pub(super) fn decide_into(
        &self,
        writes: &mut Writes,
        stream: StreamId,
        loaded: &Loaded,
        command: MemberCommand,
        now_ms: u64,
    ) -> Result<(), MemberError> {
        let folded = fold(&loaded.records);
        let decided = folded.member.decide(command, now_ms)?;
        let mut clock = loaded.clock;
        let mut seq = loaded.seq;
        let mut random = browser::random_bytes::<10>;
        let envelopes = EventEnvelope::wrap(
            stream,
            folded.version,
            &decided,
            Stamp { device: &self.device, now_ms, hlc: &mut clock, random: &mut random },
        );
        let mut state = folded.member;
        for (envelope, event) in envelopes.iter().zip(&decided) {
            state.evolve(event, &EventMeta::of(envelope));
            writes.events.push(EventRecord::pending(envelope, seq));
            seq += 1;
            writes.check_ins.extend(CheckInRecord::of(envelope, event, true));
        }
        let appended = envelopes.len() as u64;
        writes.members.push(MemberRecord::new(
            stream.id,
            &state,
            folded.version + appended,
            folded.pending + appended as u32,
            folded.rejected,
        ));
        writes.clock = Some(clock);
        writes.seq = Some(seq);
        Ok(())
    }
}

/// Reads what deciding on `stream` needs, in `tx`.
pub(super) async fn load(tx: &Transaction<'_>, stream: StreamId) -> Result<Loaded, String> {
    let events = tx.object_store(EVENTS).map_err(db_error)?;
    let meta = tx.object_store(META).map_err(db_error)?;
    let index = events.index(BY_STREAM).map_err(db_error)?;
    let records = read_stream(&index, &stream.to_string()).map_err(db_error)?;
    let clock = get_meta::<HlcClock>(&meta, META_CLOCK).map_err(db_error)?;
    let seq = get_meta::<u64>(&meta, META_SEQ).map_err(db_error)?;
    Ok(Loaded {
        records: decoded(records.await.map_err(db_error)?),
        clock: clock.await.map_err(db_error)?.unwrap_or_default(),
        seq: seq.await.map_err(db_error)?.unwrap_or(0),
    })
}
