//! The store operations about the server's log itself (reference: `MemoryDevice::apply`):
//! remember its epoch, start over when it was replaced, and offer back what it lost.
//!
//! "Unconfirmed" is kept as a generation (see `EventRecord::generation`): a reset moves the
//! store's generation on, which makes every confirmed event unconfirmed in one meta write, however
//! large the store; a confirmed event is unconfirmed exactly when its generation is older.

use super::{
    apply::rows_of, db_error, decoded, fold::fold, get_meta, records::*, schema::all_stores, writes::Writes, Changes,
    Store,
};
use indexed_db_futures::{prelude::*, transaction::TransactionMode};
use shared::{protocol::LogEpoch, StreamId};
use std::collections::BTreeMap;

impl Store {
    /// The first answer of a device that knew no epoch yet: remember it.
    pub(super) async fn adopt_epoch(&self, epoch: LogEpoch) -> Result<Changes, String> {
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        Writes { epoch: Some(epoch), ..Writes::default() }.commit(tx).await
    }

    /// The server's log is not the one this store synced with: save `epoch`, sync again from
    /// position 0, and make every confirmed event unconfirmed (they still count here).
    pub(super) async fn reset(&self, epoch: LogEpoch) -> Result<Changes, String> {
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        let generation = {
            let meta = tx.object_store(META).map_err(db_error)?;
            get_meta::<u32>(&meta, META_GENERATION).map_err(db_error)?.await.map_err(db_error)?.unwrap_or(0)
        };
        Writes {
            epoch: Some(epoch),
            cursor: Some(0),
            resyncing: Some(true),
            generation: Some(generation + 1),
            ..Writes::default()
        }
        .commit(tx)
        .await
    }

    /// The catch-up after a reset is done: every event still unconfirmed is one the new log does
    /// not have. It becomes pending again (same id), and every pending event gets a new sequence
    /// number so that each stream's go out in version order: the lost ones before the pending ones
    /// built on them.
    pub(super) async fn reoffer(&self) -> Result<Changes, String> {
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        // Reads: the whole log (a rare operation: once per restore of the server).
        let (records, generation, mut seq) = {
            let events = tx.object_store(EVENTS).map_err(db_error)?;
            let meta = tx.object_store(META).map_err(db_error)?;
            let all = events.get_all::<EventRecord>().serde().map_err(db_error)?;
            let generation = get_meta::<u32>(&meta, META_GENERATION).map_err(db_error)?;
            let seq = get_meta::<u64>(&meta, META_SEQ).map_err(db_error)?;
            (
                decoded(all.await.map_err(db_error)?),
                generation.await.map_err(db_error)?.unwrap_or(0),
                seq.await.map_err(db_error)?.unwrap_or(0),
            )
        };

        let mut streams: BTreeMap<String, Vec<EventRecord>> = BTreeMap::new();
        for record in records {
            streams.entry(record.stream.clone()).or_default().push(record);
        }
        let mut offered: Vec<(&String, u64, usize, Option<u64>)> = Vec::new();
        for (stream, records) in &streams {
            for (i, r) in records.iter().enumerate() {
                if r.state == STATE_PENDING || r.unconfirmed(generation) {
                    offered.push((stream, r.version, i, r.pending));
                }
            }
        }
        offered.sort();
        let renumbered: Vec<(String, usize)> = offered.into_iter().map(|(s, _, i, _)| (s.clone(), i)).collect();

        let mut writes = Writes::default();
        let mut reoffered = 0;
        let mut touched: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (stream, i) in renumbered {
            let record = &mut streams.get_mut(&stream).expect("grouped above")[i];
            let lost = record.unconfirmed(generation);
            if let Err(e) = record.offer_again(seq) {
                // Unreadable, so it could not be pushed anyway; left as it is, and said.
                log::error!("an event the server lost cannot be offered back: {e}");
                continue;
            }
            seq += 1;
            reoffered += u32::from(lost);
            touched.entry(stream).or_default().push(i);
        }

        // Writes: the renumbered events, the projections of their streams, their event-table rows.
        for (stream, changed) in touched {
            let records = &streams[&stream];
            let Ok(id) = stream.parse::<StreamId>() else {
                log::error!("events of an unreadable stream {stream:?} are offered back but not projected");
                writes.events.extend(changed.iter().map(|&i| records[i].clone()));
                continue;
            };
            writes.streams.push(fold(id, records, &self.device).record);
            for i in changed {
                let record = &records[i];
                writes.rows.extend(rows_of(record));
                writes.events.push(record.clone());
            }
        }
        writes.seq = Some(seq);
        writes.resyncing = Some(false);
        writes.reoffered = Some(reoffered);
        writes.commit(tx).await
    }
}
