//! The repository (reference: `MemoryDevice::execute`): load the member's stream, decide with the
//! shared aggregate, wrap the new events and append them as pending, with the projections, in one
//! transaction.

use super::{
    db_error, decoded,
    fold::{check_in_at, fold},
    get_meta, read_stream,
    records::*,
    writes::Writes,
    Changes, Store,
};
use crate::browser;
use indexed_db_futures::transaction::TransactionMode;
use shared::{
    envelope::Stamp,
    member::{MemberCommand, MemberError},
    Aggregate, EventEnvelope, HlcClock, StreamId,
};
use uuid::Uuid;

/// Why a command was not stored.
#[derive(Debug)]
pub enum ExecuteError {
    /// The aggregate refused it.
    Rule(MemberError),
    /// The store failed (the browser's reason).
    Store(String),
}

impl From<String> for ExecuteError {
    fn from(store: String) -> Self {
        ExecuteError::Store(store)
    }
}

impl Store {
    /// Decides `command` for `member` and stores the resulting events as pending.
    pub async fn execute(&self, member: Uuid, command: MemberCommand, now_ms: u64) -> Result<Changes, ExecuteError> {
        let stream = StreamId::member(member);
        let tx = self.transaction(&[EVENTS, MEMBERS, CHECK_INS, META], TransactionMode::Readwrite)?;

        // Reads.
        let (records, mut clock, mut seq) = {
            let events = tx.object_store(EVENTS).map_err(db_error)?;
            let meta = tx.object_store(META).map_err(db_error)?;
            let index = events.index(BY_STREAM).map_err(db_error)?;
            let records = read_stream(&index, &stream.to_string()).map_err(db_error)?;
            let clock = get_meta::<HlcClock>(&meta, META_CLOCK).map_err(db_error)?;
            let seq = get_meta::<u64>(&meta, META_SEQ).map_err(db_error)?;
            (
                decoded(records.await.map_err(db_error)?),
                clock.await.map_err(db_error)?.unwrap_or_default(),
                seq.await.map_err(db_error)?.unwrap_or(0),
            )
        };

        // Decide. A refusal drops the transaction, which rolls it back: nothing was written.
        let folded = fold(&records);
        let decided = folded.member.decide(command, now_ms).map_err(ExecuteError::Rule)?;
        let mut random = browser::random_bytes::<10>;
        let envelopes = EventEnvelope::wrap(
            stream,
            folded.version,
            &decided,
            Stamp { device: &self.device, now_ms, hlc: &mut clock, random: &mut random },
        );

        // Writes.
        let mut state = folded.member;
        let mut writes = Writes::default();
        for (envelope, event) in envelopes.iter().zip(&decided) {
            state.evolve(event);
            writes.events.push(EventRecord::pending(envelope, seq));
            seq += 1;
            if let Some(at_ms) = check_in_at(event) {
                writes.check_ins.push(CheckInRecord {
                    event_id: envelope.id.to_string(),
                    member: member.to_string(),
                    at_ms,
                    pending: true,
                });
            }
        }
        let appended = envelopes.len() as u64;
        writes.members.push(MemberRecord::new(
            member,
            &state,
            folded.version + appended,
            folded.pending + appended as u32,
            folded.rejected,
        ));
        writes.clock = Some(clock);
        writes.seq = Some(seq);
        Ok(writes.commit(tx).await?)
    }
}
