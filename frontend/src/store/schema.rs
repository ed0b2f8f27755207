//! The database layout: the log (`events`), `meta`, and one object store per read-model table of
//! the registry (`shared::projection::Projected`), created here from the registry. Read models are
//! never migrated: when the app's projections differ from the ones they were built by, the store
//! rebuilds them from the log on open (`rebuild.rs`).

use super::records::*;
use indexed_db_futures::{database::Database, prelude::*, KeyPath};
use shared::{projection::Tables, StreamKind};

pub const DB_NAME: &str = "faraday";

/// The layout of the log and `meta`, and the read models' shape. 2: `events.by_position`
/// dropped. 3: `events.by_corrected` (the inbox's corrections). 4: the read models are the
/// registry's tables (a stream's state as its aggregate's JSON, rows by `Projected::rows`).
/// Bump it when a read-model table or index is renamed or removed.
const LAYOUT: u32 = 4;

/// The version the store is opened at: the layout, plus one for every read-model table and index
/// beyond version 4's two tables and two indexes. Only an upgrade can create an object store or an
/// index: counting them makes one whenever an aggregate declares more, without anyone bumping a
/// number, and an older app that lacks them sees a newer store (and says so) instead of failing.
pub fn db_version() -> u32 {
    let indexes: usize =
        StreamKind::ALL.iter().map(|k| k.run(Tables).1.iter().map(|t| t.indexes.len()).sum::<usize>()).sum();
    LAYOUT + (read_model_stores().len() + indexes) as u32 - 4
}

pub fn upgrade(old_version: f64, db: &Database) -> indexed_db_futures::Result<()> {
    if old_version < 1.0 {
        let events = db.create_object_store(EVENTS).with_key_path(KeyPath::One("id")).build()?;
        // Not unique: a rejected local event and the server's event can hold the same version.
        events.create_index(BY_STREAM, KeyPath::from(["stream", "version"])).with_unique(false).build()?;
        events.create_index(BY_PENDING, KeyPath::One("pending")).build()?;
        events.create_index(BY_REJECTED, KeyPath::One("rejected")).build()?;
        events.create_index(BY_CORRECTED, KeyPath::One("corrected")).build()?;

        db.create_object_store(META).with_key_path(KeyPath::One("key")).build()?;
        return create_read_models(db);
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
    // Every read model is made anew, with the tables and indexes the registry declares now (the
    // stores of versions 1 to 3 had other shapes), and the rebuild on open refills them from the
    // log: forgetting which projections built them makes sure it runs.
    let read_models: Vec<String> = db.object_store_names().filter(|name| name != EVENTS && name != META).collect();
    for name in read_models {
        db.delete_object_store(&name)?;
    }
    upgrade_transaction(db, |tx| tx.object_store(META)?.delete(META_PROJECTIONS).primitive().map(drop))?;
    create_read_models(db)
}

/// Every read-model table of the registry, as an object store, unless it exists already.
fn create_read_models(db: &Database) -> indexed_db_futures::Result<()> {
    let existing: Vec<String> = db.object_store_names().collect();
    let absent = |name: &str| !existing.iter().any(|e| e == name);
    for kind in StreamKind::ALL {
        let (streams, tables) = kind.run(Tables);
        if absent(streams) {
            db.create_object_store(streams).with_key_path(KeyPath::One("id")).build()?;
        }
        for table in tables.iter().filter(|t| absent(t.name)) {
            let store = db.create_object_store(table.name).with_key_path(KeyPath::One("key")).build()?;
            for (index, field) in table.indexes {
                let path = format!("value.{field}");
                store.create_index(index, KeyPath::One(path.as_str())).build()?;
            }
        }
    }
    Ok(())
}

/// The names of every read-model object store, for transactions that write projections.
pub fn read_model_stores() -> Vec<&'static str> {
    let mut names = Vec::new();
    for kind in StreamKind::ALL {
        let (streams, tables) = kind.run(Tables);
        names.push(streams);
        names.extend(tables.iter().map(|t| t.name));
    }
    names
}

/// `events`, `meta` and every read-model store: what an operation on the log may touch.
pub fn all_stores() -> Vec<&'static str> {
    let mut names = vec![EVENTS, META];
    names.extend(read_model_stores());
    names
}

/// The stream table of `kind`'s aggregate.
pub fn stream_table(kind: StreamKind) -> &'static str {
    kind.run(Tables).0
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
