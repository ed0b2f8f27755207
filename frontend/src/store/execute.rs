//! The repository (reference: `MemoryDevice::execute`): check that the staff member's role allows
//! the command, load the stream, decide with its aggregate (through the registry), wrap the new
//! events (stamped with who decided) and append them as pending, with the projections, in one
//! transaction.

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
use shared::{
    access::{self, Actor, Forbidden},
    envelope::Stamp,
    Command, HlcClock, RuleError, StreamId, StreamKind,
};

/// Why a command was not stored.
#[derive(Debug)]
pub enum ExecuteError {
    /// The aggregate refused it.
    Rule(RuleError),
    /// The role of the staff member who gave it does not allow it.
    Forbidden(Forbidden),
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
    /// Decides `command`, given by `actor`, on `stream` with the stream's aggregate and stores the
    /// resulting events as pending, stamped with `actor`'s staff id.
    pub async fn execute(
        &self,
        stream: StreamId,
        command: Command,
        actor: Actor,
        now_ms: u64,
    ) -> Result<Changes, ExecuteError> {
        if command.kind() != stream.kind {
            return Err(ExecuteError::WrongKind { stream, command: command.kind() });
        }
        // Refused before the transaction: a role that may not give it touches nothing.
        permitted(actor, &command)?;
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        let loaded = load(&tx, stream).await?;
        let mut writes = Writes::default();
        // A refusal drops the transaction, which rolls it back: nothing was written.
        self.decide_into(&mut writes, stream, loaded, command, actor, now_ms)?;
        Ok(writes.commit(tx).await?)
    }

    /// Decides `command` on the stream as `loaded` holds it (with any change `writes` already made
    /// to those records applied to `loaded`), and adds the new pending events, the stream's
    /// projection, its event-table rows, the clock and the sequence to `writes`. Every decision of
    /// the device passes here, so this is where the role of its author is checked: the same rule
    /// (`Aggregate::permission`, `Role::can`) the server applies to every event pushed.
    pub(super) fn decide_into(
        &self,
        writes: &mut Writes,
        stream: StreamId,
        loaded: Loaded,
        command: Command,
        actor: Actor,
        now_ms: u64,
    ) -> Result<(), ExecuteError> {
        permitted(actor, &command)?;
        let mut clock = loaded.clock;
        let mut random = browser::random_bytes::<10>;
        let stamp =
            Stamp { device: &self.device, staff: Some(actor.staff), now_ms, hlc: &mut clock, random: &mut random };
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

/// Whether `actor`'s role allows `command` (its aggregate's `permission`).
fn permitted(actor: Actor, command: &Command) -> Result<(), ExecuteError> {
    access::check(actor.role, command.permission()).map_err(ExecuteError::Forbidden)
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
