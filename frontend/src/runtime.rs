//! The client runtime behind `app::client::Client`: opens the store, loads the projections into the
//! signals, runs commands through the repository, keeps the signals in step with every store
//! transaction, and starts replication and the service worker.

use crate::{
    browser,
    clock::DeviceClock,
    store::{Changes, ExecuteError, OpenError, OpenHooks, Store},
    sync::{self, kept, Msg, SyncSender},
    views::{self, CHECK_INS, CHECK_INS_BY_AT},
};
use app::client::{
    CheckInRow, Client, ClientApi, ClientError, ClientState, InboxEntry, MemberRow, Settle, StoreError, StoreState,
    SyncView, TimelineRow,
};
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use shared::{
    replication::{Connection, Input, SyncStatus},
    Command, StreamId, StreamKind,
};
use std::{
    collections::{HashMap, HashSet},
    rc::Rc,
};
use uuid::Uuid;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

/// The store, once open and loaded into the signals; every command waits on it rather than failing
/// when issued during start-up.
type Loaded = Shared<LocalBoxFuture<'static, Result<Rc<Store>, StoreError>>>;

struct Runtime {
    state: ClientState,
    store: Loaded,
    sync: SyncSender,
    clock: Rc<DeviceClock>,
}

pub fn start() -> Client {
    let state = ClientState::new(before_sync());
    let (sync_tx, sync_rx) = sync::channel();
    let store: Loaded = load(state, sync_tx.clone()).boxed_local().shared();
    let clock = Rc::new(DeviceClock::new(state));
    keep_clock_checked(clock.clone());

    let (boot_store, boot_tx, boot_clock) = (store.clone(), sync_tx.clone(), clock.clone());
    spawn_local(async move {
        if let Ok(store) = boot_store.await {
            state.store.set(StoreState::Ready);
            keep_today_fresh(store.clone(), state);
            sync::spawn(store, state, boot_clock, boot_tx, sync_rx);
        }
    });
    register_service_worker();
    Client::new(state, Rc::new(Runtime { state, store, sync: sync_tx, clock }))
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
    let loaded = async {
        let members = store
            .streams(views::members_table())
            .await?
            .iter()
            .filter_map(|r| views::member_row(r).inspect_err(|e| log::error!("{e}")).ok().flatten())
            .collect::<Vec<_>>();
        let check_ins = check_ins_today(&store).await?;
        let counts = store.counts().await?;
        Ok::<_, String>((members, check_ins, counts))
    };
    let (members, check_ins, counts) = loaded.await.map_err(|e| {
        state.store.set(StoreState::Failed(e.clone()));
        StoreError(e)
    })?;
    state.members.set(members);
    state.check_ins_today.set(check_ins);
    state.sync.update(|s| s.counts = counts);
    Ok(Rc::new(store))
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
            let store = store.await.map_err(ClientError::Store)?;
            clock.check().map_err(ClientError::ClockOff)?;
            let changes = store.execute(stream, command, browser::now_ms()).await.map_err(client_error)?;
            publish(&state, &changes);
            let _ = sync.unbounded_send(Msg::Local(Input::LocalChange));
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
            let store = store.await.map_err(ClientError::Store)?;
            if how == Settle::ApplyAgain {
                // It decides anew, stamped with this device's clock.
                clock.check().map_err(ClientError::ClockOff)?;
            }
            let changes = store.settle(event, how, browser::now_ms()).await.map_err(client_error)?;
            publish(&state, &changes);
            if how == Settle::ApplyAgain {
                let _ = sync.unbounded_send(Msg::Local(Input::LocalChange));
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
        }
    }
}

fn client_error(e: ExecuteError) -> ClientError {
    match e {
        ExecuteError::Rule(rule) => ClientError::Rule(rule),
        ExecuteError::Store(e) => ClientError::Store(StoreError(e)),
        ExecuteError::WrongKind { stream, command } => {
            ClientError::Store(StoreError(format!("a {} command cannot be decided on {stream}", command.prefix())))
        }
        ExecuteError::NotInInbox => ClientError::NotInInbox,
    }
}

/// Brings the signals in step with one committed store transaction: only the changed member rows
/// are replaced (a club has 20,000 members; a page of pulled events touches a few hundred).
pub(crate) fn publish(state: &ClientState, changes: &Changes) {
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

    let midnight = browser::local_midnight_ms();
    let check_ins: Vec<CheckInRow> =
        changes.rows.iter().filter(|r| r.table == CHECK_INS).filter_map(views::check_in_row).collect();
    let gone: Vec<Uuid> =
        changes.removed_rows.iter().filter(|(t, _)| *t == CHECK_INS).filter_map(|(_, key)| key.parse().ok()).collect();
    if check_ins.iter().any(|c| c.at_ms >= midnight) || !gone.is_empty() {
        state.check_ins_today.update(|rows| {
            let replaced: HashSet<Uuid> = check_ins.iter().map(|c| c.event_id).chain(gone.iter().copied()).collect();
            rows.retain(|r| r.at_ms >= midnight && !replaced.contains(&r.event_id));
            rows.extend(check_ins.into_iter().filter(|c| c.at_ms >= midnight));
            rows.sort_by_key(|r| std::cmp::Reverse(r.at_ms));
        });
    }

    if state.sync.with_untracked(|s| s.counts) != changes.counts {
        state.sync.update(|s| s.counts = changes.counts);
    }
    state.revision.update(|r| *r += 1);
}

/// "Today" ends at local midnight even when nothing happens: reload the day's check-ins then.
fn keep_today_fresh(store: Rc<Store>, state: ClientState) {
    spawn_local(async move {
        loop {
            let wait = browser::next_midnight_ms().saturating_sub(browser::now_ms()) + 1_000;
            TimeoutFuture::new(u32::try_from(wait).unwrap_or(u32::MAX)).await;
            match check_ins_today(&store).await {
                Ok(rows) => state.check_ins_today.set(rows),
                Err(e) => log::error!("today's check-ins could not be reloaded: {e}"),
            }
        }
    });
}

/// Check-ins since local midnight, newest first.
async fn check_ins_today(store: &Store) -> Result<Vec<CheckInRow>, String> {
    let rows = store.rows_from(CHECK_INS, CHECK_INS_BY_AT, browser::local_midnight_ms()).await?;
    Ok(rows.iter().rev().filter_map(views::check_in_row).collect())
}

/// Staff may set the clock right (or wrong) at any moment: the warning follows within seconds,
/// without waiting for a command or the server.
fn keep_clock_checked(clock: Rc<DeviceClock>) {
    spawn_local(async move {
        loop {
            TimeoutFuture::new(5_000).await;
            let _ = clock.check();
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
