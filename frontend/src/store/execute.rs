//! The repository (reference: `MemoryDevice::execute`): load the stream, decide with its
//! aggregate (through the registry), wrap the new events and append them as pending, with the
//! projections, in one transaction.

use super::{
    db_error, decoded,
    fold::{decide, Refused},
    get_meta, read_stream,
    records::*,
    schema::all_stores,
    writes::Writes,
    Changes, Store,
};
use crate::browser;
use indexed_db_futures::transaction::{Transaction, TransactionMode};
use shared::{envelope::Stamp, Command, HlcClock, RuleError, StreamId, StreamKind};

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
        if command.kind() != stream.kind {
            return Err(ExecuteError::WrongKind { stream, command: command.kind() });
        }
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        let loaded = load(&tx, stream).await?;
        let mut writes = Writes::default();
        // A refusal drops the transaction, which rolls it back: nothing was written.
        self.decide_into(&mut writes, stream, loaded, command, now_ms)?;
        Ok(writes.commit(tx).await?)
    }

    /// Decides `command` on the stream as `loaded` holds it (with any change `writes` already made
    /// to those records applied to `loaded`), and adds the new pending events, the stream's
    /// projection, its event-table rows, the clock and the sequence to `writes`.
    pub(super) fn decide_into(
        &self,
        writes: &mut Writes,
        stream: StreamId,
        loaded: Loaded,
        command: Command,
        now_ms: u64,
    ) -> Result<(), ExecuteError> {
        let mut clock = loaded.clock;
        let mut random = browser::random_bytes::<10>;
        let stamp = Stamp { device: &self.device, now_ms, hlc: &mut clock, random: &mut random };
        let decided = decide(stream, &loaded.records, command, now_ms, stamp).map_err(|refused| match refused {
            Refused::Rule(rule) => ExecuteError::Rule(rule),
            Refused::WrongKind(command) => ExecuteError::WrongKind { stream, command: command.kind() },
        })?;
        let mut seq = loaded.seq;
        for envelope in &decided.envelopes {
            writes.rows.extend(RowRecord::of(envelope, true));
            writes.events.push(EventRecord::pending(envelope, seq));
            seq += 1;
        }
        writes.streams.push(decided.record);
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
