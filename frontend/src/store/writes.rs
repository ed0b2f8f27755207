//! The write half of a read-write transaction. Every put and delete is issued at once and not
//! awaited one by one: a request goes out when it is built, IndexedDB runs a transaction's requests
//! in order, and a failed one aborts the whole transaction, whose `error` then says why. Skipping a
//! listener per request keeps a 1,000-event page cheap. The totals are counted last, in the same
//! transaction (so they include these writes), then it is committed.

use super::{counts, db_error, put, records::*, schema::stream_table, Changes, Counts};
use indexed_db_futures::{prelude::*, transaction::Transaction};
use shared::{protocol::LogEpoch, HlcClock};

#[derive(Default)]
pub struct Writes {
    pub events: Vec<EventRecord>,
    /// Stream-table rows, each put in its kind's table.
    pub streams: Vec<StreamRecord>,
    pub rows: Vec<RowRecord>,
    /// (table, key) of event-table rows that no longer hold.
    pub removed_rows: Vec<(&'static str, String)>,
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
    /// Writes everything in `tx` (which must cover every store it writes to: `schema::all_stores`
    /// does) and commits it.
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
        let meta = tx.object_store(META)?;
        // `drop`: the request is already on its way; only its completion is not listened to.
        for record in &self.events {
            drop(put(&events, record)?);
        }
        for record in &self.streams {
            let Some(stream) = record.stream() else { continue };
            drop(put(&tx.object_store(stream_table(stream.kind))?, record)?);
        }
        // A row removed and written again in one operation stands: removals go first.
        for (table, key) in &self.removed_rows {
            drop(tx.object_store(table)?.delete(key.as_str()).primitive()?);
        }
        for record in &self.rows {
            drop(put(&tx.object_store(record.table)?, record)?);
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

    fn changes(self, counts: Counts) -> Changes {
        let written: std::collections::HashSet<(&str, &str)> =
            self.rows.iter().map(|r| (r.table, r.key.as_str())).collect();
        let removed_rows =
            self.removed_rows.into_iter().filter(|(table, key)| !written.contains(&(*table, key.as_str()))).collect();
        Changes { counts, reoffered: self.reoffered, streams: self.streams, rows: self.rows, removed_rows }
    }
}
