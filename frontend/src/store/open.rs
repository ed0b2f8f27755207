//! Opening the store, and the two moments another tab's version of the app gets in the way:
//! this page asks for a newer version while an older one is open elsewhere (`blocked`), or another
//! tab asks for a newer version while this page holds the store (`versionchange`). Either way the
//! data stays in IndexedDB; what matters is that no tab waits forever and staff are told.

use super::{device_id, schema, Store};
use indexed_db_futures::{
    database::Database,
    error::{DomException, Error, OpenDbError},
    internals::SystemRepr,
};
use std::{cell::Cell, rc::Rc};
use wasm_bindgen::{closure::Closure, JsCast};

/// What the runtime wants to hear while the store is open.
pub struct OpenHooks {
    /// The open waits for other tabs to close an older version of the store.
    pub blocked: Box<dyn FnOnce()>,
    /// Another tab opens a newer version of the store: this page has already let go of it.
    pub replaced: Box<dyn Fn()>,
}

#[derive(Debug)]
pub enum OpenError {
    /// The store was upgraded by a newer version of the app than this page's.
    NewerVersion,
    Failed(String),
}

/// Closes the database when another tab needs to upgrade it (see [`Store::open_named`]).
pub struct VersionChangeListener(#[allow(dead_code)] Closure<dyn FnMut(web_sys::Event)>);

impl Store {
    pub async fn open(hooks: OpenHooks) -> Result<Self, OpenError> {
        Self::open_named(schema::DB_NAME, schema::db_version(), hooks).await
    }

    /// Opens (creating or upgrading) the store in database `name` at `version`; tests use fresh
    /// random names.
    pub async fn open_named(name: &str, version: u32, hooks: OpenHooks) -> Result<Self, OpenError> {
        let OpenHooks { blocked, replaced } = hooks;
        let db = Database::open(name)
            .with_version(version)
            .with_on_upgrade_needed(|event, db| schema::upgrade(event.old_version(), &db))
            .with_on_blocked(move |_| {
                blocked();
                Ok(())
            })
            .await
            .map_err(|e| match e {
                e if is_version_error(&e) => OpenError::NewerVersion,
                e => OpenError::Failed(format!("The local database could not be opened: {e}")),
            })?;
        let device = device_id(&db).await.map_err(OpenError::Failed)?;
        let closed = Rc::new(Cell::new(false));
        let on_version_change = let_go_on_version_change(&db, closed.clone(), replaced);
        let store = Self {
            db,
            device,
            closed,
            _on_version_change: on_version_change,
            names: std::cell::RefCell::new(Rc::new(super::NoNames)),
        };
        store.rebuild_if_stale().await.map_err(OpenError::Failed)?;
        Ok(store)
    }
}

/// An open connection blocks every other tab's upgrade until it closes: close at once, so the
/// newer version never hangs, and tell the runtime (which reloads or asks staff to).
fn let_go_on_version_change(db: &Database, closed: Rc<Cell<bool>>, replaced: Box<dyn Fn()>) -> VersionChangeListener {
    let raw: web_sys::IdbDatabase = db.as_sys().clone().unchecked_into();
    let handler = {
        let raw = raw.clone();
        Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            log::warn!("another tab is upgrading the local database: closing it here");
            raw.close();
            closed.set(true);
            replaced();
        })
    };
    raw.set_onversionchange(Some(handler.as_ref().unchecked_ref()));
    VersionChangeListener(handler)
}

fn is_version_error(error: &OpenDbError) -> bool {
    matches!(error, OpenDbError::Base(Error::DomException(DomException::Other(e))) if e.name() == "VersionError")
}
