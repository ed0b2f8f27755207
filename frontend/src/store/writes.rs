//! The write half of a read-write transaction. Every put and delete is issued at once and not
//! awaited one by one: a request goes out when it is built, IndexedDB runs a transaction's requests
//! in order, and a failed one aborts the whole transaction, whose `error` then says why. Skipping a
//! listener per request keeps a 1,000-event page cheap. The totals are counted last, in the same
//! transaction (so they include these writes), then it is committed.

use super::{counts, db_error, put, records::*, Changes, Counts};
use indexed_db_futures::{prelude::*, transaction::Transaction};
use shared::{protocol::LogEpoch, HlcClock};
use uuid::Uuid;

#[derive(Default)]
pub struct Writes {
    pub events: Vec<EventRecord>,
    pub members: Vec<MemberRecord>,
    pub check_ins: Vec<CheckInRecord>,
    pub removed_check_ins: Vec<String>,
    pub cursor: Option<u64>,
    pub clock: Option<HlcClock>,
    pub seq: Option<u64>,
    pub epoch: Option<LogEpoch>,
    pub resyncing: Option<bool>,
    pub generation: Option<u32>,
    /// Not written: reported back in [`Changes::reoffered`].
    pub reoffered: Option<u32>,
}

impl Writes {
    /// Writes everything in `tx` (which must cover all four stores) and commits it.
    pub async fn commit(self, tx: Transaction<'_>) -> Result<Changes, String> {
        match self.issue(&tx).await {
            Ok(counts) => {
                tx.commit().await.map_err(db_error)?;
                Ok(self.changes(counts))
            }
            // The first failure aborted the transaction; its error names the cause (e.g. quota).
            Err(e) => Err(db_error(tx.error().unwrap_or(e))),
        }
    }

    async fn issue(&self, tx: &Transaction<'_>) -> indexed_db_futures::Result<Counts> {
        let events = tx.object_store(EVENTS)?;
        let members = tx.object_store(MEMBERS)?;
        let check_ins = tx.object_store(CHECK_INS)?;
        let meta = tx.object_store(META)?;
        // `drop`: the request is already on its way; only its completion is not listened to.
        for record in &self.events {
            drop(put(&events, record)?);
        }
        for record in &self.members {
            drop(put(&members, record)?);
        }
        for record in &self.check_ins {
            drop(put(&check_ins, record)?);
        }
        for id in &self.removed_check_ins {
            drop(check_ins.delete(id.as_str()).primitive()?);
        }
        if let Some(cursor) = self.cursor {
            drop(put(&meta, &Meta::new(META_CURSOR, cursor))?);
        }
        if let Some(clock) = self.clock {
            drop(put(&meta, &Meta::new(META_CLOCK, clock))?);
        }
        if let Some(seq) = self.seq {
            drop(put(&meta, &Meta::new(META_SEQ, seq))?);
        }
        if let Some(epoch) = self.epoch {
            drop(put(&meta, &Meta::new(META_EPOCH, epoch))?);
        }
        if let Some(resyncing) = self.resyncing {
            drop(put(&meta, &Meta::new(META_RESYNCING, resyncing))?);
        }
        if let Some(generation) = self.generation {
            drop(put(&meta, &Meta::new(META_GENERATION, generation))?);
        }
        counts(&events).await
    }

    fn changes(&self, counts: Counts) -> Changes {
        let mut changes = Changes { counts, reoffered: self.reoffered, ..Changes::default() };
        for record in &self.members {
            match record.row() {
                Some(row) => changes.members.push(row),
                None => changes.removed_members.extend(Uuid::parse_str(&record.id).ok()),
            }
        }
        changes.check_ins = self.check_ins.iter().filter_map(CheckInRecord::row).collect();
        changes.removed_check_ins = self.removed_check_ins.iter().filter_map(|id| Uuid::parse_str(id).ok()).collect();
        changes
    }
}
