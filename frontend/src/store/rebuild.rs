//! Read models built by other projections than this app's (an older app version, or the first
//! open after an upgrade replaced their object stores) are rebuilt from the log, in one
//! transaction: staff never see rows of two projections at once. The log itself is never touched.

use super::{
    db_error, decoded,
    fold::fold,
    get_meta, put,
    records::*,
    schema::{all_stores, read_model_stores},
    Store,
};
use indexed_db_futures::{prelude::*, transaction::TransactionMode};
use shared::StreamId;
use std::collections::BTreeMap;

impl Store {
    /// Rebuilds every read model from `events` unless they were built by this app's projections
    /// (`shared::projection::signature`). Returns whether it rebuilt.
    pub(super) async fn rebuild_if_stale(&self) -> Result<bool, String> {
        let signature = shared::projection::signature();
        let tx = self.transaction(&all_stores(), TransactionMode::Readwrite)?;
        let (stored, all) = {
            let meta = tx.object_store(META).map_err(db_error)?;
            let stored = get_meta::<String>(&meta, META_PROJECTIONS).map_err(db_error)?.await.map_err(db_error)?;
            if stored.as_deref() == Some(signature.as_str()) {
                return Ok(false);
            }
            let events = tx.object_store(EVENTS).map_err(db_error)?;
            let all = events.get_all::<EventRecord>().serde().map_err(db_error)?.await.map_err(db_error)?;
            (stored, decoded(all))
        };
        log::info!(
            "rebuilding the read models from {} stored events (built by {:?}, this app has {signature:?})",
            all.len(),
            stored.unwrap_or_default()
        );
        let mut streams: BTreeMap<String, Vec<EventRecord>> = BTreeMap::new();
        for record in all {
            streams.entry(record.stream.clone()).or_default().push(record);
        }
        let result = async {
            for table in read_model_stores() {
                drop(tx.object_store(table)?.clear()?);
            }
            for (name, records) in &streams {
                let Ok(stream) = name.parse::<StreamId>() else {
                    log::error!("events of an unreadable stream {name:?} are kept but not projected");
                    continue;
                };
                let folded = fold(stream, records, &self.device);
                drop(put(&tx.object_store(super::schema::stream_table(stream.kind))?, &folded.record)?);
                for record in records.iter().filter(|r| r.state == STATE_CONFIRMED || r.state == STATE_PENDING) {
                    let Ok(envelope) = record.envelope() else { continue };
                    for row in RowRecord::of(&envelope, record.state == STATE_PENDING) {
                        drop(put(&tx.object_store(row.table)?, &row)?);
                    }
                }
            }
            let meta = tx.object_store(META)?;
            put(&meta, &Meta::new(META_PROJECTIONS, signature.as_str()))?.await
        };
        match result.await {
            Ok(()) => tx.commit().await.map_err(db_error)?,
            Err(e) => return Err(db_error(tx.error().unwrap_or(e))),
        }
        Ok(true)
    }
}
