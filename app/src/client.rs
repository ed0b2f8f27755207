//! The boundary between the UI and the browser runtime (`frontend/`: IndexedDB store, replicator).
//!
//! The runtime provides a [`Client`] as context before hydrating; pages read its signals and call
//! its [`ClientApi`]. On the server no client exists: everything that needs one renders only after
//! hydration (see `App`'s `mounted` gate), so SSR and hydration produce the same markup.

use crate::account::{DeviceClub, LocalSession, Sessions, SignInError, SignOutCheck};
use futures::future::LocalBoxFuture;
use leptos::prelude::*;
use send_wrapper::SendWrapper;
use shared::{
    access::{Forbidden, Permission, Role, StaffId},
    class::Class,
    member::Member,
    protocol::StaffMember,
    replication::{ClockOff, SyncStatus},
    search::SearchKey,
    Command, RuleError, StreamId,
};
use std::rc::Rc;
use uuid::Uuid;

/// Where an event stands between this device and the server.
#[derive(Clone, Debug, PartialEq)]
pub enum EventState {
    /// Stored on this device only, waiting to be pushed.
    Pending,
    /// Stored by the server (it has a position in the global log).
    Confirmed,
    /// Confirmed by a server log that has since been replaced (restored from a backup): it still
    /// counts here, and is confirmed again when the new log shows it, or offered back if it lacks it.
    Unconfirmed,
    /// The server did not take it; kept here with the reason, in the conflict inbox.
    Rejected(String),
    /// Rejected, then settled by staff in the inbox (discarded, or decided again on top).
    Settled(String),
}

/// How many of this device's events wait for the server, and for staff.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Not yet confirmed by the server.
    pub pending: u32,
    /// Refused by the server (a conflict, or a rule it broke): in the inbox until settled.
    pub rejected: u32,
    /// Stored by the server as something else (a check-in recorded as a duplicate, a change
    /// overwritten by a merge): in the inbox until acknowledged.
    pub corrected: u32,
}

/// One entry of the corrections-and-conflicts inbox.
#[derive(Clone, Debug, PartialEq)]
pub struct InboxEntry {
    pub event_id: Uuid,
    /// The stream's id: the member's, or the class's for a class event.
    pub member: Uuid,
    /// The stream the event is on (a member's, a class's, the club's).
    pub stream: StreamId,
    /// The member a class event is about (`None` for other streams' events).
    pub about: Option<Uuid>,
    /// The stream's title as this device has it now: the member's name, the class's title ("" if
    /// unknown here).
    pub member_name: String,
    /// What the event (as this device holds it now) says, in staff's words.
    pub summary: String,
    /// When it was decided, by the deciding device's clock (HLC wall part, ms since the epoch).
    pub at_ms: u64,
    pub kind: InboxKind,
    /// What deciding it again needs of the role (`None` for an event no command makes): staff
    /// whose role lacks it are not offered "apply mine on top".
    pub permission: Option<Permission>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InboxKind {
    /// The server refused this device's change (`reason`): staff apply it again on top of what
    /// the server has, or discard it. `blocked` is the rule that would refuse applying it again
    /// now, as this device knows the member (it may change as the member does).
    Conflict { reason: String, blocked: Option<RuleError> },
    /// The server stored this device's change as something else: the summary says what.
    Correction,
}

/// What staff decided about an inbox entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Settle {
    /// Decide the refused change again, on top of the member as the server has them now (it may
    /// still be refused, with the reason).
    ApplyAgain,
    /// Drop the refused change (it stays in the timeline, marked settled).
    Discard,
    /// A correction was seen.
    Acknowledge,
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
    /// What search matches, folded once when the row is made (not once per keystroke).
    pub search: SearchKey,
    /// The member's whole state (memberships, blocks, recent check-ins): the entry decision and
    /// the dashboard are computed from it, on this device.
    pub member: std::sync::Arc<Member>,
}

impl MemberRow {
    pub fn new(id: Uuid, member: &Member, pending: u32) -> Self {
        Self {
            id,
            name: member.name.clone(),
            email: member.email.clone(),
            phone: member.phone.clone(),
            archived: member.archived,
            last_check_in_ms: member.last_check_in_ms(),
            check_ins: member.check_ins,
            pending,
            search: SearchKey::new_with(
                [member.name.as_str(), member.email.as_str()],
                [member.phone.as_str()],
                &mut crate::collate::base_letter,
            ),
            member: std::sync::Arc::new(member.clone()),
        }
    }
}

/// One class as the timetable and the class page show it (the `classes` stream table).
#[derive(Clone, Debug, PartialEq)]
pub struct ClassRow {
    pub id: Uuid,
    /// Events of this class not yet confirmed by the server.
    pub pending: u32,
    /// The class's whole state: details, roster, waitlist, attendance, charges.
    pub class: std::sync::Arc<Class>,
}

/// One check-in (the `check-ins` projection).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckInRow {
    pub event_id: Uuid,
    pub member: Uuid,
    pub at_ms: u64,
    pub pending: bool,
    /// How the visit was recorded.
    pub how: CheckInHow,
}

/// How a visit was recorded (the `how` of a `check_ins` row).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CheckInHow {
    /// At the desk, on the entry decision.
    #[default]
    CheckedIn,
    /// Recorded afterwards by a manager.
    Backdated,
    /// Let in by a manager although the entry decision denied it.
    Overridden,
}

impl CheckInHow {
    /// From the row's `how` ("checked_in", "backdated", "overridden").
    pub fn from_code(code: &str) -> Self {
        match code {
            "backdated" => CheckInHow::Backdated,
            "overridden" => CheckInHow::Overridden,
            _ => CheckInHow::CheckedIn,
        }
    }
}

/// A check-in voided after it was recorded: it stays in the timeline, struck through.
#[derive(Clone, Debug, PartialEq)]
pub struct Voided {
    pub reason: String,
    /// Who voided it (absent for events made before accounts existed).
    pub staff: Option<StaffId>,
    /// When it was voided (the voiding device's clock).
    pub at_ms: u64,
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
    /// Made on this device (staff read "on this device" rather than an id).
    pub this_device: bool,
    /// The staff member who made it (absent for events made before accounts existed).
    pub staff: Option<StaffId>,
    pub state: EventState,
    /// For a check-in voided later: why, and by whom.
    pub voided: Option<Voided>,
    /// The member a class event is about (`None` for a class-wide one and other streams' events).
    pub about: Option<Uuid>,
    /// The stream it is on (a member's timeline also shows the class events about them).
    pub stream: StreamId,
}

/// A catch-up with the server's log worth showing: `done` of `total` events applied.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// What the sync badge and the sync notices show (the replicating tab tells the others).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SyncView {
    /// The replicator's own account: connection, last answer, clock, restore.
    pub status: SyncStatus,
    pub counts: Counts,
    /// Why this device's own store failed, while it does (sync waits and tries again).
    pub store_error: Option<String>,
    pub progress: Option<Progress>,
    /// After the server's log was found replaced: how many changes this device offered back.
    pub reoffered: Option<u32>,
    /// The server answered "not signed in": its sessions for this device ended or were revoked.
    /// Staff keep working here until the local session ends; nothing is sent until someone signs
    /// in again.
    pub signed_out: bool,
}

impl SyncView {
    /// Remote events this device knows exist and has not stored yet: counted from what the store
    /// applied while a catch-up is shown, so the badge and the pages give the same number.
    pub fn to_receive(&self) -> u64 {
        match self.progress {
            Some(p) => p.total.saturating_sub(p.done),
            None => self.status.behind(),
        }
    }
}

/// The local store's lifecycle, as staff need to hear about it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum StoreState {
    #[default]
    Opening,
    /// Another tab keeps an older version of the store open, so it cannot be upgraded yet.
    Blocked,
    Ready,
    /// A newer version of the app, in another tab, is upgrading the store: this page let go of it.
    /// Nothing is lost (it is all stored), but this page can no longer save until reloaded.
    Replaced {
        pending: u32,
    },
    /// The store was upgraded by a newer version of the app than this page.
    NewerVersion,
    Failed(String),
}

impl StoreState {
    /// Whether the projections are loaded (pages can show them, even if saving stopped).
    pub fn loaded(&self) -> bool {
        matches!(self, StoreState::Ready | StoreState::Replaced { .. })
    }
}

/// Why this device's store could not do something (the browser's words).
#[derive(Clone, Debug, PartialEq)]
pub struct StoreError(pub String);

/// Why a command was not carried out.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientError {
    /// A rule refused it: nothing was stored.
    Rule(RuleError),
    /// The rules allowed it, but this device's store failed to save it.
    Store(StoreError),
    /// This device's clock is known to be off by more than the server tolerates: nothing was
    /// decided or stored (its times would be wrong, or refused).
    ClockOff(ClockOff),
    /// The inbox entry is gone (settled on another tab, or the server's copy arrived meanwhile).
    NotInInbox,
    /// The role of the staff member at the desk does not allow it: nothing was decided or stored.
    Forbidden(Forbidden),
    /// Nobody is signed in on this device (or their session ended): nothing was decided or stored.
    SignedOut,
}

/// Reactive state the runtime keeps up to date after every store transaction.
#[derive(Clone, Copy)]
pub struct ClientState {
    pub store: RwSignal<StoreState>,
    /// Every member, archived ones included, in no particular order.
    pub members: RwSignal<Vec<MemberRow>>,
    /// Check-ins since local midnight, newest first.
    pub check_ins_today: RwSignal<Vec<CheckInRow>>,
    pub sync: RwSignal<SyncView>,
    /// While this device's clock is known to be off (it then records nothing).
    pub clock_off: RwSignal<Option<ClockOff>>,
    /// Bumped after every change to the local store (timelines refetch on it).
    pub revision: RwSignal<u64>,
    /// The staff signed in on this device, and who of them is at the desk.
    pub sessions: RwSignal<Sessions>,
    /// The club whose data this device holds, once someone signed in.
    pub club: RwSignal<Option<DeviceClub>>,
    /// The club's staff (name and role), to say who made an event and who coaches a class (from
    /// the server, kept for offline).
    pub staff: RwSignal<Vec<StaffMember>>,
    /// Every scheduled class, cancelled ones included, in no particular order.
    pub classes: RwSignal<Vec<ClassRow>>,
    /// The club's settings (plans, duplicate window, time zone, …) as this device holds them:
    /// the defaults until the club's stream arrives.
    pub settings: RwSignal<shared::club::ClubSettings>,
    /// The club's settings stream is on this device (see [`ClientState::settings_known`]).
    pub settings_found: RwSignal<bool>,
}

impl ClientState {
    /// `sync` is what the device knows before the replicator starts (network, last sync), so the
    /// first render already tells the truth.
    pub fn new(sync: SyncView, sessions: Sessions, club: Option<DeviceClub>) -> Self {
        Self {
            sessions: RwSignal::new(sessions),
            club: RwSignal::new(club),
            staff: RwSignal::new(vec![]),
            classes: RwSignal::new(vec![]),
            settings: RwSignal::new(Default::default()),
            settings_found: RwSignal::new(false),
            store: RwSignal::new(StoreState::Opening),
            members: RwSignal::new(vec![]),
            check_ins_today: RwSignal::new(vec![]),
            sync: RwSignal::new(sync),
            clock_off: RwSignal::new(None),
            revision: RwSignal::new(0),
        }
    }
}

impl ClientState {
    /// Whether `settings` are the club's (tracked): its settings stream is here, or the device has
    /// received everything once (a club that never changed its settings has none). Until then the
    /// time zone is a default: a club-local time entered meanwhile would mean another instant.
    pub fn settings_known(&self) -> bool {
        self.settings_found.get()
            || (self.store.with(StoreState::loaded)
                && self.sync.with(|s| s.progress.is_none() && s.status.last_sync_ms.is_some()))
    }

    /// The instant a club-local `date` and `minute` (after midnight) mean, in the club's zone; an
    /// error to show when the club's settings have not reached this device yet.
    pub fn club_instant(&self, date: shared::calendar::Date, minute: u32) -> Result<u64, String> {
        if !self.settings_known() {
            return Err("The club's settings (its time zone) have not reached this device yet, and the time you \
                        entered is in club time: wait until the sync badge says it is up to date, then try again."
                .into());
        }
        Ok(self.settings.with_untracked(|s| crate::pages::member::day::instant(s, date, minute)))
    }
}

impl ClientState {
    /// The staff member at the desk now, if their session has not ended (tracked: pages follow a
    /// switch of staff, and the runtime drops sessions as they end).
    pub fn active(&self) -> Option<LocalSession> {
        let now = crate::format::now_ms();
        self.sessions.with(|s| s.active_at(now).cloned())
    }

    /// Whether the staff member at the desk may give `command` (tracked, like [`ClientState::active`]).
    pub fn may(&self, command: &Command) -> bool {
        self.active().is_some_and(|s| crate::account::may(s.info.role, command))
    }

    /// [`ClientState::may`] as a memo: it changes only when the answer does, so a view built on it
    /// (a form being filled in) is not made again when a session is merely renewed.
    pub fn permits(&self, command: Command) -> Memo<bool> {
        let state = *self;
        Memo::new(move |_| state.may(&command))
    }

    /// The role of the staff member at the desk, changing only when it does (see [`ClientState::permits`]).
    pub fn role(&self) -> Memo<Option<shared::access::Role>> {
        let state = *self;
        Memo::new(move |_| state.active().map(|s| s.info.role))
    }

    /// What `staff` is called here ("" if unknown): the device's own sessions first, then the
    /// club's staff list.
    pub fn staff_name(&self, staff: StaffId) -> String {
        let own = self.sessions.with(|s| s.of(staff).map(|s| s.info.name.clone()));
        own.or_else(|| self.staff.with(|all| all.iter().find(|s| s.staff == staff).map(|s| s.name.clone())))
            .unwrap_or_default()
    }

    /// The staff this device knows of (the club's list, and everyone signed in here), with their
    /// roles, coaches first, then by name: who may coach a class.
    pub fn known_staff(&self) -> Vec<StaffMember> {
        let mut all: Vec<StaffMember> = self.staff.get();
        self.sessions.with(|s| {
            for session in &s.staff {
                if !all.iter().any(|k| k.staff == session.staff()) {
                    all.push(StaffMember {
                        staff: session.staff(),
                        name: session.info.name.clone(),
                        role: session.info.role,
                    });
                }
            }
        });
        all.sort_by(|a, b| {
            ((a.role != Role::Coach), &a.name, a.staff).cmp(&((b.role != Role::Coach), &b.name, b.staff))
        });
        all
    }
}

/// Commands and queries the UI sends to the runtime.
pub trait ClientApi {
    /// Decides `command` on `stream` with the stream's aggregate (through the registry) and stores
    /// the events (pending) with the projections, in one transaction.
    fn execute(&self, stream: StreamId, command: Command) -> LocalBoxFuture<'static, Result<(), ClientError>>;
    /// A stream's events, newest first, pending and rejected ones included.
    fn timeline(&self, stream: StreamId) -> LocalBoxFuture<'static, Result<Vec<TimelineRow>, StoreError>>;
    /// The corrections and conflicts waiting for staff, oldest first.
    fn inbox(&self) -> LocalBoxFuture<'static, Result<Vec<InboxEntry>, StoreError>>;
    /// Settles one inbox entry as staff decided.
    fn settle(&self, event: Uuid, how: Settle) -> LocalBoxFuture<'static, Result<(), ClientError>>;
    /// A fresh id for a new member (UUIDv7).
    fn new_member_id(&self) -> Uuid;
    /// Tries the server again now instead of at the next retry (staff pressed "Try now").
    fn sync_now(&self);
    /// Signs a staff member in on this device (online only) and makes them the one at the desk.
    fn sign_in(&self, email: String, password: String) -> LocalBoxFuture<'static, Result<(), SignInError>>;
    /// Hands the desk to another staff member already signed in here (offline too).
    fn switch_staff(&self, staff: StaffId);
    /// The first step of signing `staff` out: sends what waits for the server, then says what
    /// could not be sent (staff confirm before [`ClientApi::sign_out`] if anything is left).
    fn check_sign_out(&self, staff: StaffId) -> LocalBoxFuture<'static, SignOutCheck>;
    /// Ends `staff`'s session on the server and forgets it here; after the last one, deletes
    /// everything this device holds and shows the sign-in page.
    fn sign_out(&self, staff: StaffId) -> LocalBoxFuture<'static, Result<(), StoreError>>;
    /// Deletes everything this device holds (nobody signed in, another club's data in the way).
    fn forget_device(&self) -> LocalBoxFuture<'static, Result<(), StoreError>>;
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
