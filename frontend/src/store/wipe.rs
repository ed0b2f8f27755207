//! Deleting everything this device holds: after the last staff member signs out, no member data
//! stays on a device nobody is signed in on.

use super::{db_error, Store};
use indexed_db_futures::{database::Database, internals::SystemRepr};
use wasm_bindgen::JsCast;

impl Store {
    /// Closes this page's connection (every later operation is refused) and deletes the database.
    /// Other tabs holding it hear `versionchange` and let go of it, as for an upgrade.
    pub async fn delete(&self) -> Result<(), String> {
        self.closed.set(true);
        let raw: web_sys::IdbDatabase = self.db.as_sys().clone().unchecked_into();
        raw.close();
        delete_database(&raw.name()).await
    }
}

/// Deletes the database `name` (for a store that could not even be opened, by name).
pub async fn delete_database(name: &str) -> Result<(), String> {
    Database::delete_by_name(name).map_err(db_error)?.await.map_err(db_error)
}
