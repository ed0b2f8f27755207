//! The database layout. A changed projection gets a new version whose upgrade drops and rebuilds
//! it from `events`: the log is the only data that is ever migrated.

use super::records::*;
use indexed_db_futures::{database::Database, prelude::*, KeyPath};

pub const DB_NAME: &str = "faraday";
/// 2: `events.by_position` dropped. 3: `events.by_corrected` (the inbox's corrections).
pub const DB_VERSION: u32 = 3;

pub fn upgrade(old_version: f64, db: &Database) -> indexed_db_futures::Result<()> {
    if old_version < 1.0 {
        let events = db.create_object_store(EVENTS).with_key_path(KeyPath::One("id")).build()?;
        // Not unique: a rejected local event and the server's event can hold the same version.
        events.create_index(BY_STREAM, KeyPath::from(["stream", "version"])).with_unique(false).build()?;
        events.create_index(BY_PENDING, KeyPath::One("pending")).build()?;
        events.create_index(BY_REJECTED, KeyPath::One("rejected")).build()?;
        events.create_index(BY_CORRECTED, KeyPath::One("corrected")).build()?;

        db.create_object_store(MEMBERS).with_key_path(KeyPath::One("id")).build()?;

        let check_ins = db.create_object_store(CHECK_INS).with_key_path(KeyPath::One("event_id")).build()?;
        check_ins.create_index(BY_AT, KeyPath::One("at_ms")).build()?;
        check_ins.create_index(BY_MEMBER, KeyPath::One("member")).build()?;

        db.create_object_store(META).with_key_path(KeyPath::One("key")).build()?;
        return Ok(());
    }
    if old_version < 2.0 {
        // Every confirmed event paid for this index and no query read it.
        upgrade_transaction(db, |tx| tx.object_store(EVENTS)?.delete_index(BY_POSITION))?;
    }
    if old_version < 3.0 {
        upgrade_transaction(db, |tx| {
            tx.object_store(EVENTS)?.create_index(BY_CORRECTED, KeyPath::One("corrected")).build().map(drop)
        })?;
    }
    Ok(())
}

/// Runs `change` on the upgrade's own transaction. indexed_db_futures hands an upgrade only the
/// database, whose `transaction()` is not allowed during an upgrade; an object store made for the
/// moment knows the upgrade transaction, and is dropped again at once.
fn upgrade_transaction(
    db: &Database,
    change: impl FnOnce(&indexed_db_futures::transaction::TransactionRef<'_>) -> indexed_db_futures::Result<()>,
) -> indexed_db_futures::Result<()> {
    const SCRATCH: &str = "upgrade_scratch";
    let scratch = db.create_object_store(SCRATCH).build()?;
    change(scratch.transaction())?;
    db.delete_object_store(SCRATCH)
}
