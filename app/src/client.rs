//! The boundary between the UI and the browser runtime (`frontend/`: IndexedDB store, replicator).
//!
//! The runtime provides a [`Client`] as context before hydrating; pages read its signals and call
//! its [`ClientApi`]. On the server no client exists: everything that needs one renders only after
//! hydration (see `App`'s `mounted` gate), so SSR and hydration produce the same markup.

use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use shared::member::MemberCommand;
use std::rc::Rc;
use uuid::Uuid;

/// Where an event stands between this device and the server.
#[derive(Clone, Debug, PartialEq)]
pub enum EventState {
    /// Stored on this device only, waiting to be pushed.
    Pending,
    /// Stored by the server (it has a position in the global log).
    Confirmed,
    /// The server did not take it; kept here with the reason.
    Rejected(String),
}

/// One member as the list, search and member page show them (the `members` projection).
#[derive(Clone, Debug, PartialEq)]
pub struct MemberRow {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub archived: bool,
    pub last_check_in_ms: Option<u64>,
    pub check_ins: u32,
    /// Events of this member not yet confirmed by the server.
    pub pending: u32,
}

/// One check-in (the `check-ins` projection).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckInRow {
    pub event_id: Uuid,
    pub member: Uuid,
    pub at_ms: u64,
    pub pending: bool,
}

/// One line of a member's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow {
    pub event_id: Uuid,
    pub version: u64,
    pub event_type: String,
    /// Human words for what happened ("Checked in", "Phone changed to 0470 …").
    pub summary: String,
    /// When, by the clock of the device that made it (HLC wall part).
    pub at_ms: u64,
    pub device: String,
    pub state: EventState,
}

/// What the sync badge shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncView {
    pub online: bool,
    /// Connected to the live stream.
    pub live: bool,
    pub pending: u32,
    /// Events set aside because the server refused them.
    pub rejected: u32,
    pub last_sync_ms: Option<u64>,
    pub last_error: Option<String>,
}

/// Reactive state the runtime keeps up to date after every store transaction.
#[derive(Clone, Copy)]
pub struct ClientState {
    /// The local store is open and the projections are loaded.
    pub ready: RwSignal<bool>,
    /// Why the local store could not be opened, if it could not.
    pub fatal: RwSignal<Option<String>>,
    /// Every member, archived ones included, in no particular order.
    pub members: RwSignal<Vec<MemberRow>>,
    /// Check-ins since local midnight, newest first.
    pub check_ins_today: RwSignal<Vec<CheckInRow>>,
    pub sync: RwSignal<SyncView>,
    /// Bumped after every change to the local store (timelines refetch on it).
    pub revision: RwSignal<u64>,
}

impl ClientState {
    pub fn new() -> Self {
        Self {
            ready: RwSignal::new(false),
            fatal: RwSignal::new(None),
            members: RwSignal::new(vec![]),
            check_ins_today: RwSignal::new(vec![]),
            sync: RwSignal::new(SyncView::default()),
            revision: RwSignal::new(0),
        }
    }
}

impl Default for ClientState {
    fn default() -> Self {
        Self::new()
    }
}

/// Commands and queries the UI sends to the runtime.
pub trait ClientApi {
    /// Decides `command` on member `member` with the shared aggregate and stores the events
    /// (pending) with the projections, in one transaction. The error is a sentence for staff.
    fn execute(&self, member: Uuid, command: MemberCommand) -> LocalBoxFuture<'static, Result<(), String>>;
    /// The member's events, newest first, pending and rejected ones included.
    fn timeline(&self, member: Uuid) -> LocalBoxFuture<'static, Result<Vec<TimelineRow>, String>>;
    /// A fresh id for a new member (UUIDv7).
    fn new_member_id(&self) -> Uuid;
}

#[derive(Clone)]
pub struct Client {
    pub state: ClientState,
    api: SendWrapper<Rc<dyn ClientApi>>,
}

impl Client {
    pub fn new(state: ClientState, api: Rc<dyn ClientApi>) -> Self {
        Self { state, api: SendWrapper::new(api) }
    }

    pub fn api(&self) -> Rc<dyn ClientApi> {
        (*self.api).clone()
    }
}

/// The client, when the runtime provided one (never during SSR).
pub fn use_client() -> Option<Client> {
    use_context::<Client>()
}
