//! The client runtime behind `app::client::Client`: opens the store, loads the projections into the
//! signals, runs commands through the repository, keeps the signals in step with every store
//! transaction, and starts replication and the service worker.

use crate::{
    account::{self, Accounts},
    browser,
    clock::DeviceClock,
    club,
    store::{Changes, ExecuteError, OpenError, OpenHooks, Store},
    sync::{self, kept, Msg, SyncSender},
    tabs, today, views,
};
use app::{
    account::{SignInError, SignOutCheck},
    client::{
        ClassRow, Client, ClientApi, ClientError, ClientState, InboxEntry, MemberRow, Settle, StoreError, StoreState,
        SyncView, TimelineRow,
    },
};
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use shared::{
    access::{Actor, StaffId},
    replication::{Connection, Input, SyncStatus},
    Command, StreamId, StreamKind,
};
use std::{
    cell::Cell,
    collections::{HashMap, HashSet},
    rc::Rc,
};
use uuid::Uuid;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// The store, once open and loaded into the signals; every command waits on it rather than failing
/// when issued during start-up.
pub(crate) type Loaded = Shared<LocalBoxFuture<'static, Result<Rc<Store>, StoreError>>>;

struct Runtime {
    state: ClientState,
    store: Loaded,
    sync: SyncSender,
    clock: Rc<DeviceClock>,
    accounts: Rc<Accounts>,
}

pub fn start() -> Client {
    let (sessions, club) = account::remembered();
    let state = ClientState::new(before_sync(), sessions, club);
    state.staff.set(account::remembered_staff());
    account::keep_sessions_current(state);
    account::settle_sign_outs_owed_when_online();
    let (sync_tx, sync_rx) = sync::channel();
    let store: Loaded = load(state, sync_tx.clone()).boxed_local().shared();
    let clock = Rc::new(DeviceClock::new(state));
    keep_clock_checked(clock.clone());
    let accounts = Rc::new(Accounts::new(state, store.clone(), sync_tx.clone()));

    let leading = Rc::new(Cell::new(false));
    listen_to_other_tabs(state, sync_tx.clone(), leading.clone());
    let (boot_store, boot_tx, boot_clock, boot_accounts) =
        (store.clone(), sync_tx.clone(), clock.clone(), accounts.clone());
    spawn_local(async move {
        if let Ok(store) = boot_store.await {
            state.store.set(StoreState::Ready);
            today::keep_fresh(store.clone(), state);
            // One tab of the device replicates; the others show what it and they change.
            tabs::when_leading(move || {
                leading.set(true);
                tell_other_tabs_the_sync(state);
                spawn_local(async move {
                    // The server answers nobody who is not signed in: sync starts with the first sign-in.
                    while !anyone_signed_in(state) {
                        TimeoutFuture::new(500).await;
                    }
                    sync::spawn(store, state, boot_clock, boot_tx, sync_rx);
                    boot_accounts.check_with_server().await;
                });
            });
        }
    });
    register_service_worker();
    Client::new(state, Rc::new(Runtime { state, store, sync: sync_tx, clock, accounts }))
}

/// What the device's other tabs say: rows they changed are shown here too; the tab that
/// replicates hears that there is something to push, and the others hear its sync status.
fn listen_to_other_tabs(state: ClientState, sync: SyncSender, leading: Rc<Cell<bool>>) {
    let tabs = tabs::Tabs::open(move |message| match message {
        tabs::Message::Changed(wire) => show(&state, &Changes::from_wire(wire)),
        tabs::Message::LocalChange if leading.get() => {
            let _ = sync.unbounded_send(Msg::Local(Input::LocalChange));
        }
        tabs::Message::Hello if leading.get() => {
            tabs::tell(&tabs::Message::Sync(state.sync.get_untracked()));
        }
        tabs::Message::Sync(view) if !leading.get() => state.sync.set(view),
        _ => {}
    });
    tabs.send(&tabs::Message::Hello);
}

/// In the tab that replicates: every change of its sync status goes to the other tabs' badges.
fn tell_other_tabs_the_sync(state: ClientState) {
    Effect::new(move |_| {
        let view = state.sync.get();
        tabs::tell(&tabs::Message::Sync(view));
    });
}

/// A local change for the replicator: this tab's, if it replicates; the other tabs hear of it too,
/// and the one that replicates pushes it.
fn local_change(sync: &SyncSender) {
    let _ = sync.unbounded_send(Msg::Local(Input::LocalChange));
    tabs::tell(&tabs::Message::LocalChange);
}

fn anyone_signed_in(state: ClientState) -> bool {
    let now = browser::now_ms();
    state.sessions.with_untracked(|s| s.staff.iter().any(|o| o.valid_at(now)))
}

/// Who gives a command now: the staff member at the desk, while their session lasts.
fn actor(state: &ClientState) -> Result<Actor, ClientError> {
    let now = browser::now_ms();
    state.sessions.with_untracked(|s| s.active_at(now).map(|a| a.actor())).ok_or(ClientError::SignedOut)
}

/// What the badge can truthfully say before the replicator has run: whether there is a network at
/// all, and when the server last answered (kept across reloads).
fn before_sync() -> SyncView {
    let connection = if browser::is_online() { Connection::Connecting } else { Connection::Offline };
    SyncView {
        status: SyncStatus { connection, last_sync_ms: kept::last_sync(), ..SyncStatus::default() },
        ..SyncView::default()
    }
}

async fn load(state: ClientState, sync: SyncSender) -> Result<Rc<Store>, StoreError> {
    let hooks = OpenHooks {
        blocked: Box::new(move || state.store.set(StoreState::Blocked)),
        replaced: Box::new(move || replaced(state, &sync)),
    };
    let store = match Store::open(hooks).await {
        Ok(store) => store,
        Err(OpenError::NewerVersion) => {
            state.store.set(StoreState::NewerVersion);
            return Err(StoreError("a newer version of Faraday has updated this device's data".into()));
        }
        Err(OpenError::Failed(e)) => {
            let e = format!(
                "{e}. Faraday keeps the club's data in this browser: allow this site to store data (private windows may not) and reload."
            );
            log::error!("{e}");
            state.store.set(StoreState::Failed(e.clone()));
            return Err(StoreError(e));
        }
    };
    store.set_names(Rc::new(Named(state)));
    let loaded = async {
        let members = store
            .streams(views::members_table())
            .await?
            .iter()
            .filter_map(|r| views::member_row(r).inspect_err(|e| log::error!("{e}")).ok().flatten())
            .collect::<Vec<_>>();
        let classes = store
            .streams(views::classes_table())
            .await?
            .iter()
            .filter_map(|r| views::class_row(r).inspect_err(|e| log::error!("{e}")).ok().flatten())
            .collect::<Vec<_>>();
        // The club's day, and every time shown, are in the club's zone: its settings come first.
        let settings = club::load(&store, &state).await?;
        let check_ins = today::load(&store, &settings.clone().unwrap_or_default()).await?;
        let counts = store.counts().await?;
        Ok::<_, String>((members, classes, settings, check_ins, counts))
    };
    let (members, classes, settings, check_ins, counts) = loaded.await.map_err(|e| {
        state.store.set(StoreState::Failed(e.clone()));
        StoreError(e)
    })?;
    if let Some(settings) = settings {
        club::set(&state, settings);
    }
    state.members.set(members);
    state.classes.set(classes);
    state.check_ins_today.set(check_ins);
    state.sync.update(|s| s.counts = counts);
    Ok(Rc::new(store))
}

/// Members and classes named as the signals hold them now (the timeline and the inbox name those
/// of other streams: the member a class event is about, the class a card visit was used by).
struct Named(ClientState);

impl crate::store::Names for Named {
    fn member(&self, id: Uuid) -> Option<String> {
        self.0.members.with_untracked(|all| all.iter().find(|m| m.id == id).map(|m| m.name.clone()))
    }

    fn class(&self, id: Uuid) -> Option<String> {
        self.0.classes.with_untracked(|all| {
            all.iter().find(|c| c.id == id).and_then(|c| c.class.details.as_ref().map(app::format::class_label))
        })
    }
}

/// Another tab opened a newer version of the store, and this page let go of it. Everything is in
/// IndexedDB, so a reload loses nothing; it happens by itself unless changes wait to be sent, in
/// which case staff are asked (they may be in the middle of something).
fn replaced(state: ClientState, sync: &SyncSender) {
    let _ = sync.unbounded_send(Msg::Stop);
    let pending = state.sync.with_untracked(|s| s.counts.pending);
    state.store.set(StoreState::Replaced { pending });
    if pending == 0 {
        browser::reload();
    }
}

impl ClientApi for Runtime {
    fn execute(&self, stream: StreamId, command: Command) -> LocalBoxFuture<'static, Result<(), ClientError>> {
        let (state, store, sync, clock) = (self.state, self.store.clone(), self.sync.clone(), self.clock.clone());
        Box::pin(async move {
            let actor = actor(&state)?;
            let store = store.await.map_err(ClientError::Store)?;
            clock.check().map_err(ClientError::ClockOff)?;
            let changes = store.execute(stream, command, actor, browser::now_ms()).await.map_err(client_error)?;
            publish(&state, &changes);
            local_change(&sync);
            Ok(())
        })
    }

    fn timeline(&self, stream: StreamId) -> LocalBoxFuture<'static, Result<Vec<TimelineRow>, StoreError>> {
        let store = self.store.clone();
        Box::pin(async move { store.await?.timeline(stream).await.map_err(StoreError) })
    }

    fn inbox(&self) -> LocalBoxFuture<'static, Result<Vec<InboxEntry>, StoreError>> {
        let store = self.store.clone();
        Box::pin(async move { store.await?.inbox(browser::now_ms()).await.map_err(StoreError) })
    }

    fn settle(&self, event: Uuid, how: Settle) -> LocalBoxFuture<'static, Result<(), ClientError>> {
        let (state, store, sync, clock) = (self.state, self.store.clone(), self.sync.clone(), self.clock.clone());
        Box::pin(async move {
            let actor = actor(&state)?;
            let store = store.await.map_err(ClientError::Store)?;
            if how == Settle::ApplyAgain {
                // It decides anew, stamped with this device's clock.
                clock.check().map_err(ClientError::ClockOff)?;
            }
            let changes = store.settle(event, how, actor, browser::now_ms()).await.map_err(client_error)?;
            publish(&state, &changes);
            if how == Settle::ApplyAgain {
                local_change(&sync);
            }
            Ok(())
        })
    }

    fn new_member_id(&self) -> Uuid {
        shared::new_event_id(browser::now_ms(), browser::random_bytes())
    }

    fn sync_now(&self) {
        // Without a network there is nothing to try (and saying "online" would be a lie).
        if browser::is_online() {
            let _ = self.sync.unbounded_send(Msg::Local(Input::Online));
            // In a tab that does not replicate, the one that does is asked.
            tabs::tell(&tabs::Message::LocalChange);
        }
    }

    fn sign_in(&self, email: String, password: String) -> LocalBoxFuture<'static, Result<(), SignInError>> {
        let accounts = self.accounts.clone();
        Box::pin(async move { accounts.sign_in(email, password).await })
    }

    fn switch_staff(&self, staff: StaffId) {
        self.accounts.switch(staff);
    }

    fn check_sign_out(&self, staff: StaffId) -> LocalBoxFuture<'static, SignOutCheck> {
        let accounts = self.accounts.clone();
        Box::pin(async move { accounts.check_sign_out(staff).await })
    }

    fn sign_out(&self, staff: StaffId) -> LocalBoxFuture<'static, Result<(), StoreError>> {
        let accounts = self.accounts.clone();
        Box::pin(async move { accounts.sign_out(staff).await })
    }

    fn forget_device(&self) -> LocalBoxFuture<'static, Result<(), StoreError>> {
        let accounts = self.accounts.clone();
        Box::pin(async move { accounts.forget_device().await })
    }
}

fn client_error(e: ExecuteError) -> ClientError {
    match e {
        ExecuteError::Rule(rule) => ClientError::Rule(rule),
        ExecuteError::Forbidden(forbidden) => ClientError::Forbidden(forbidden),
        ExecuteError::Store(e) => ClientError::Store(StoreError(e)),
        ExecuteError::WrongKind { stream, command } => {
            ClientError::Store(StoreError(format!("a {} command cannot be decided on {stream}", command.prefix())))
        }
        ExecuteError::NotInInbox => ClientError::NotInInbox,
    }
}

/// Brings the signals in step with one committed store transaction of this tab, and tells the
/// device's other tabs, which show the same.
pub(crate) fn publish(state: &ClientState, changes: &Changes) {
    show(state, changes);
    tabs::tell(&tabs::Message::Changed(changes.to_wire()));
}

/// Brings the signals in step with one committed store transaction: only the changed member rows
/// are replaced (a club has 20,000 members; a page of pulled events touches a few hundred).
fn show(state: &ClientState, changes: &Changes) {
    let mut removed: HashSet<Uuid> = HashSet::new();
    let mut fresh: HashMap<Uuid, MemberRow> = HashMap::new();
    for record in changes.streams.iter().filter(|r| r.stream().is_some_and(|s| s.kind == StreamKind::Member)) {
        match views::member_row(record) {
            Ok(Some(row)) => drop(fresh.insert(row.id, row)),
            Ok(None) => drop(record.stream().map(|s| removed.insert(s.id))),
            Err(e) => log::error!("{e}"),
        }
    }
    if !fresh.is_empty() || !removed.is_empty() {
        state.members.update(|rows| {
            rows.retain_mut(|row| {
                if removed.contains(&row.id) {
                    return false;
                }
                if let Some(changed) = fresh.remove(&row.id) {
                    *row = changed;
                }
                true
            });
            rows.extend(fresh.into_values());
        });
    }

    show_classes(state, &changes.streams);

    if club::show(state, &changes.streams) {
        // The club's day moved with its zone.
        today::reload();
    }
    today::show(state, changes);

    if state.sync.with_untracked(|s| s.counts) != changes.counts {
        state.sync.update(|s| s.counts = changes.counts);
    }
    state.revision.update(|r| *r += 1);
}

/// Replaces the class rows `streams` changed (a class's every change rewrites its one row).
fn show_classes(state: &ClientState, streams: &[crate::store::StreamRecord]) {
    let mut removed: HashSet<Uuid> = HashSet::new();
    let mut fresh: HashMap<Uuid, ClassRow> = HashMap::new();
    for record in streams.iter().filter(|r| r.stream().is_some_and(|s| s.kind == StreamKind::Class)) {
        match views::class_row(record) {
            Ok(Some(row)) => drop(fresh.insert(row.id, row)),
            Ok(None) => drop(record.stream().map(|s| removed.insert(s.id))),
            Err(e) => log::error!("{e}"),
        }
    }
    if fresh.is_empty() && removed.is_empty() {
        return;
    }
    state.classes.update(|rows| {
        rows.retain_mut(|row| {
            if removed.contains(&row.id) {
                return false;
            }
            if let Some(changed) = fresh.remove(&row.id) {
                *row = changed;
            }
            true
        });
        rows.extend(fresh.into_values());
    });
}

/// Staff may set the clock right (or wrong) at any moment: the warning follows within seconds,
/// without waiting for a command or the server.
fn keep_clock_checked(clock: Rc<DeviceClock>) {
    spawn_local(async move {
        // At once too: a page reloaded with the clock set back says so before staff start work.
        loop {
            let _ = clock.check();
            TimeoutFuture::new(5_000).await;
        }
    });
}

/// The service worker serves the app shell offline; without it the app still works while online.
fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    let navigator = window.navigator();
    // Absent outside secure contexts (plain http on a LAN address): calling it would throw.
    if !js_sys::Reflect::has(&navigator, &JsValue::from_str("serviceWorker")).unwrap_or(false) {
        log::warn!("service workers are unavailable here (not a secure context?): no offline start");
        return;
    }
    let registration = navigator.service_worker().register("/sw.js");
    spawn_local(async move {
        if let Err(e) = JsFuture::from(registration).await {
            log::warn!("the service worker could not be registered: {e:?}");
        }
    });
}
