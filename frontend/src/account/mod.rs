//! Staff on this device: signing in (online), handing the desk to someone already signed in here
//! (offline too), signing out (sending what waits first), and deleting the device's data when the
//! last one leaves. The sessions live in localStorage (`kept`) and in `ClientState::sessions`.

mod http;
mod kept;

use crate::{
    browser,
    runtime::Loaded,
    store::{delete_database, DB_NAME},
    sync::{self, Msg, SyncSender},
};
use app::{
    account::{DeviceClub, LocalSession, Sessions, SignInError, SignOutCheck},
    client::{ClientState, StoreError},
};
use gloo_timers::future::TimeoutFuture;
use http::Failed;
use leptos::{ev, prelude::*};
use shared::{access::StaffId, protocol::LoginRequest, replication::Input};
use wasm_bindgen_futures::spawn_local;

/// How long signing out waits for what is pending to reach the server before asking staff.
const SEND_BEFORE_SIGN_OUT_MS: u64 = 15_000;

/// What the device remembers at start: the sessions that have not ended, and the club of its data.
pub fn remembered() -> (Sessions, Option<DeviceClub>) {
    let mut sessions = kept::sessions();
    if sessions.drop_ended(browser::now_ms()) {
        kept::save_sessions(&sessions);
    }
    (sessions, kept::club())
}

/// Who made an event, by name, as last heard from the server (for offline timelines).
pub fn remembered_staff() -> Vec<shared::protocol::StaffMember> {
    kept::staff()
}

pub struct Accounts {
    state: ClientState,
    store: Loaded,
    sync: SyncSender,
}

impl Accounts {
    pub fn new(state: ClientState, store: Loaded, sync: SyncSender) -> Self {
        Self { state, store, sync }
    }

    /// Signs a staff member in, makes them the one at the desk, and lets sync go on.
    pub async fn sign_in(&self, email: String, password: String) -> Result<(), SignInError> {
        if !browser::is_online() {
            return Err(SignInError::Offline);
        }
        let store = self.store.clone().await.map_err(|e| SignInError::Failed(e.0))?;
        // A device whose cookie still holds a session signed out offline would be refused.
        settle_sign_outs_owed().await;
        let club = self.state.club.get_untracked();
        let request = LoginRequest {
            email: email.trim().to_owned(),
            password,
            device: store.device().clone(),
            club: club.as_ref().map(|c| c.club),
        };
        let info = http::login(&request).await.map_err(|failed| match failed {
            Failed::Unreachable => SignInError::Offline,
            Failed::Refused { status: 429, error } => SignInError::TooManyAttempts(error.message),
            Failed::Refused { error, .. } if error.code == "other_club" => SignInError::OtherClub {
                device_club: club.as_ref().map_or_else(|| "another club".to_owned(), |c| c.name.clone()),
            },
            // Asked for the device's club, the account has no role there: it works in another.
            Failed::Refused { error, .. } if error.code == "no_role" && club.is_some() => {
                SignInError::OtherClub { device_club: club.as_ref().map(|c| c.name.clone()).unwrap_or_default() }
            }
            Failed::Refused { status: 401, error } => SignInError::Refused(error.message),
            Failed::Refused { error, .. } => SignInError::Failed(error.message),
        })?;
        // Never two clubs' members on one device: the server's session is given back at once.
        if let Some(club) = club.filter(|c| c.club != info.club) {
            if let Err(e) = http::logout(info.staff).await {
                log::warn!("the session of another club could not be ended at once: {e:?}");
                owe_sign_out(info.staff);
            }
            return Err(SignInError::OtherClub { device_club: club.name });
        }
        let device_club = DeviceClub { club: info.club, name: info.club_name.clone() };
        kept::save_club(&device_club);
        self.state.club.set(Some(device_club));
        self.update_sessions(|s| s.signed_in(LocalSession::new(info, browser::now_ms())));
        self.set_signed_out(false);
        let _ = self.sync.unbounded_send(Msg::Local(Input::Online));
        crate::tabs::tell(&crate::tabs::Message::LocalChange);
        spawn_local(refresh_staff(self.state));
        Ok(())
    }

    /// Hands the desk to `staff`, if signed in here and their session has not ended.
    pub fn switch(&self, staff: StaffId) {
        let now = browser::now_ms();
        if self.state.sessions.with_untracked(|s| s.of(staff).is_some_and(|o| o.valid_at(now))) {
            self.update_sessions(|s| s.active = Some(staff));
            // Changes made before accounts existed can go now, as this staff member's (from
            // whichever tab of the device replicates).
            let _ = self.sync.unbounded_send(Msg::Local(Input::LocalChange));
            crate::tabs::tell(&crate::tabs::Message::LocalChange);
        }
    }

    /// Sends what waits for the server, then says what is still not sent.
    pub async fn check_sign_out(&self, staff: StaffId) -> SignOutCheck {
        let now = browser::now_ms();
        let last =
            self.state.sessions.with_untracked(|s| s.staff.iter().all(|o| o.staff() == staff || !o.valid_at(now)));
        let Ok(store) = self.store.clone().await else {
            // Nothing could be read from this device's store: nothing of it can be sent either.
            return SignOutCheck { unsent: 0, last, why: None };
        };
        // The last one out takes every change with them; otherwise only their own wait for them.
        let pending = || async {
            if last {
                store.counts().await.map(|c| c.pending)
            } else {
                store.pending_by(staff).await
            }
        };
        if browser::is_online() && pending().await.unwrap_or(0) > 0 {
            let _ = self.sync.unbounded_send(Msg::Local(Input::Online));
            // In a tab that does not replicate, the one that does sends them.
            crate::tabs::tell(&crate::tabs::Message::LocalChange);
        }
        let deadline = browser::now_ms() + SEND_BEFORE_SIGN_OUT_MS;
        let (left, why) = loop {
            let left = match pending().await {
                Ok(left) => left,
                Err(e) => break (0, Some(e)),
            };
            let why = self.why_not_sent();
            if left == 0 || why.is_some() || browser::now_ms() >= deadline {
                break (left, why.or_else(|| (left > 0).then(|| "the server did not take them in time".to_owned())));
            }
            TimeoutFuture::new(300).await;
        };
        // Conflicts set aside in the inbox are lost with the device's data too.
        let rejected = if last { self.state.sync.with_untracked(|s| s.counts.rejected) } else { 0 };
        SignOutCheck { unsent: left + rejected, last, why }
    }

    /// Why sync cannot send right now, if it cannot.
    fn why_not_sent(&self) -> Option<String> {
        if !browser::is_online() {
            return Some("this device is offline".into());
        }
        self.state.sync.with_untracked(|s| {
            if s.signed_out {
                Some("the server signed this device out".into())
            } else if let Some(store) = &s.store_error {
                Some(store.clone())
            } else if s.status.retry_at_ms.is_some() {
                Some(s.status.last_error.clone().unwrap_or_else(|| "the server cannot be reached".into()))
            } else {
                None
            }
        })
    }

    /// Ends `staff`'s session on the server (later, if it cannot be reached now) and here; after
    /// the last one, deletes the device's data.
    pub async fn sign_out(&self, staff: StaffId) -> Result<(), StoreError> {
        match http::logout(staff).await {
            Ok(()) => {}
            // Already ended on the server, or refused for good: nothing to owe.
            Err(Failed::Refused { status: 400..=499, .. }) => {}
            Err(e) => {
                log::info!("the server did not hear the sign-out yet: {e:?}");
                owe_sign_out(staff);
            }
        }
        let now = browser::now_ms();
        self.update_sessions(|s| {
            s.signed_out(staff);
            s.drop_ended(now);
        });
        if self.state.sessions.with_untracked(|s| s.staff.is_empty()) {
            return self.forget_device().await;
        }
        Ok(())
    }

    /// Deletes everything this device holds (the store, who signed in, which club), then starts
    /// afresh on the sign-in page: a new page, so that no signal keeps anything of the old data.
    pub async fn forget_device(&self) -> Result<(), StoreError> {
        let _ = self.sync.unbounded_send(Msg::Stop);
        let deleted = match self.store.clone().await {
            Ok(store) => store.delete().await,
            Err(_) => delete_database(DB_NAME).await,
        };
        deleted.map_err(StoreError)?;
        kept::forget();
        sync::kept::forget();
        browser::go_to("/login");
        Ok(())
    }

    /// Once sync runs: what the server holds for this device (a session revoked or ended there
    /// shows "sign in again"), sign-outs it has not heard of yet, and the club's staff names.
    pub async fn check_with_server(&self) {
        if !browser::is_online() {
            return;
        }
        settle_sign_outs_owed().await;
        match http::sessions().await {
            Ok(held) => {
                let now = browser::now_ms();
                // The server's word on when each session ends is the latest.
                self.update_sessions(|s| {
                    for info in &held {
                        if let Some(known) = s.staff.iter_mut().find(|o| o.staff() == info.staff) {
                            *known = LocalSession::new(info.clone(), now);
                        }
                    }
                });
                let active = self.state.sessions.with_untracked(|s| s.active);
                let signed_out = active.is_some_and(|a| !held.iter().any(|h| h.staff == a));
                self.set_signed_out(signed_out);
            }
            Err(Failed::Refused { status: 401, .. }) => self.set_signed_out(true),
            Err(e) => log::info!("the server's sessions could not be read: {e:?}"),
        }
        refresh_staff(self.state).await;
    }

    fn set_signed_out(&self, signed_out: bool) {
        if self.state.sync.with_untracked(|s| s.signed_out) != signed_out {
            self.state.sync.update(|s| s.signed_out = signed_out);
        }
    }

    fn update_sessions(&self, change: impl FnOnce(&mut Sessions)) {
        self.state.sessions.update(change);
        self.state.sessions.with_untracked(kept::save_sessions);
    }
}

/// Keeps the sessions true while the page is open: one that ends is dropped (its pages send staff
/// to sign in), and what another tab changed (a sign-in, a switch, a wipe) shows here too.
pub fn keep_sessions_current(state: ClientState) {
    spawn_local(async move {
        loop {
            TimeoutFuture::new(10_000).await;
            let now = browser::now_ms();
            if state.sessions.with_untracked(|s| s.staff.iter().any(|o| !o.valid_at(now))) {
                state.sessions.update(|s| {
                    s.drop_ended(now);
                });
                state.sessions.with_untracked(kept::save_sessions);
            }
        }
    });
    let _ = window_event_listener(ev::storage, move |event| {
        let key = event.key();
        if key.as_deref().is_some_and(|k| k != kept::SESSIONS && k != kept::CLUB) {
            return;
        }
        let (sessions, club) = remembered();
        let wiped = club.is_none() && state.club.get_untracked().is_some();
        state.sessions.set(sessions);
        state.club.set(club);
        if wiped {
            // Another tab deleted this device's data: nothing here may outlive it.
            browser::go_to("/login");
        }
    });
}

fn owe_sign_out(staff: StaffId) {
    let mut owed = kept::sign_outs_owed();
    if !owed.contains(&staff) {
        owed.push(staff);
        kept::save_sign_outs_owed(&owed);
    }
}

/// Sign-outs made offline reach the server as soon as it can be reached (at start, and whenever
/// the network comes back), whether or not anyone signs in again: until then the session would
/// still open the club's data to whoever holds this browser.
pub fn settle_sign_outs_owed_when_online() {
    if browser::is_online() {
        wasm_bindgen_futures::spawn_local(settle_sign_outs_owed());
    }
    // The handle is dropped on purpose: the listener stays for the page's lifetime.
    let _ = leptos::prelude::window_event_listener(leptos::ev::online, |_| {
        wasm_bindgen_futures::spawn_local(settle_sign_outs_owed());
    });
}

/// Tells the server of sign-outs made while it could not be reached.
async fn settle_sign_outs_owed() {
    let mut owed = kept::sign_outs_owed();
    if owed.is_empty() {
        return;
    }
    let mut still = Vec::new();
    for staff in owed.drain(..) {
        if let Err(Failed::Unreachable) = http::logout(staff).await {
            still.push(staff);
        }
    }
    kept::save_sign_outs_owed(&still);
}

async fn refresh_staff(state: ClientState) {
    match http::staff().await {
        Ok(staff) => {
            kept::save_staff(&staff);
            state.staff.set(staff);
        }
        Err(e) => log::info!("the club's staff could not be read: {e:?}"),
    }
}
