//! A real server on 127.0.0.1:0 over a temporary SQLite file, and helpers to make events with the
//! shared domain code (the same code the browser runs).
#![allow(dead_code)]

pub mod accounts;
pub mod backends;

use leptos::prelude::LeptosOptions;
use server::{store, AppState};
use shared::{
    calendar::Date,
    club::{Length, PlanTerms, Visits},
    member::{EntryRules, Member, MemberCommand, PaymentMethod, Start},
    protocol::{PullResponse, PushBatch, PushRequest},
    replication::memory::MemoryDevice,
    EventEnvelope, StreamId,
};
use std::{net::SocketAddr, time::Duration};
use uuid::Uuid;

pub struct TestServer {
    pub addr: SocketAddr,
    /// Signed in as [`accounts::MANAGER`] on the device `test-device` of the test club.
    pub http: reqwest::Client,
    pub state: AppState,
    /// The test club (made with the server, with the accounts of [`accounts::STAFF`]).
    pub club: shared::ClubId,
    /// Each device's session cookie (`name=value`) and signed-in client, made on first use.
    devices: std::sync::Mutex<std::collections::HashMap<String, (String, reqwest::Client)>>,
    /// The database it serves (a SQLite file in `_dir`, or a PostgreSQL database).
    url: String,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Served by the real accept loop (`server::serve`), as `faraday serve` serves.
    pub async fn start_with(configure: impl FnOnce(&mut AppState)) -> Self {
        Self::serve(configure).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A client signed in as [`accounts::MANAGER`] on `device` (a push must come from the device
    /// its session was made on).
    pub async fn client_for(&self, device: &str) -> reqwest::Client {
        self.session_for(device).await.1
    }

    /// The `Cookie` header value of [`accounts::MANAGER`]'s session on `device`, for raw requests.
    pub async fn cookie_for(&self, device: &str) -> String {
        self.session_for(device).await.0
    }

    async fn session_for(&self, device: &str) -> (String, reqwest::Client) {
        if let Some(session) = self.devices.lock().unwrap().get(device) {
            return session.clone();
        }
        let (status, cookie, body) =
            accounts::sign_in(&self.url(""), accounts::email_of(accounts::MANAGER), accounts::PASSWORD, device).await;
        assert_eq!(status, 200, "signing in {device}: {body}");
        let cookie = cookie.expect("a session cookie");
        let session = (cookie.clone(), accounts::client_with(&cookie));
        self.devices.lock().unwrap().insert(device.to_owned(), session.clone());
        session
    }

    pub async fn push_json(&self, body: &serde_json::Value) -> (u16, serde_json::Value) {
        let device = body["device"].as_str().filter(|d| shared::DeviceId::new(*d).is_ok()).unwrap_or("test-device");
        let client = self.client_for(device).await;
        let res = client.post(self.url("/api/sync/push")).json(body).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn push(&self, request: &PushRequest) -> (u16, serde_json::Value) {
        self.push_json(&serde_json::to_value(request).unwrap()).await
    }

    pub async fn pull(&self, after: u64, limit: u32) -> PullResponse {
        let res = self.http.get(self.url(&format!("/api/sync/pull?after={after}&limit={limit}"))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        res.json().await.unwrap()
    }

    /// Every stored event, by pulling page after page.
    pub async fn log(&self) -> Vec<EventEnvelope> {
        let (mut all, mut after) = (vec![], 0);
        loop {
            let page = self.pull(after, 1_000).await;
            all.extend(page.events);
            after = page.next;
            if !page.has_more {
                return all;
            }
        }
    }
}

/// 2025-11-24 16:00 UTC.
pub const T0: u64 = 1_764_000_000_000;

pub fn member(n: u128) -> StreamId {
    StreamId::member(uuid::Uuid::from_u128(n))
}

pub fn register(name: &str) -> MemberCommand {
    MemberCommand::RegisterMember { name: name.into(), email: String::new(), phone: String::new() }
}

/// The club-local date of `at_ms` (the test club's zone is UTC).
pub fn day_of(at_ms: u64) -> Date {
    Date::utc_of(at_ms)
}

/// The day of [`T0`]: the day the tests' memberships are sold on.
pub fn today() -> Date {
    day_of(T0)
}

/// The membership [`sell_monthly`] sells.
pub const MONTHLY: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00a1);
pub const MONTHLY_PLAN: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00b1);
pub const CARD_PLAN: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00b2);

pub fn unlimited_monthly() -> PlanTerms {
    PlanTerms {
        name: "Monthly unlimited".into(),
        length: Length::Months(1),
        visits: Visits::Unlimited,
        price_cents: 4_900,
    }
}

/// A card of `visits` visits within 6 months, for 90.00.
pub fn card_of(visits: u32) -> PlanTerms {
    PlanTerms {
        name: format!("{visits}-visit card"),
        length: Length::Months(6),
        visits: Visits::Card(visits),
        price_cents: 9_000,
    }
}

/// Sells [`MONTHLY`], an unlimited month from [`today`] (unpaid: the payment grace lets the member
/// in meanwhile).
pub fn sell_monthly() -> MemberCommand {
    sell(MONTHLY, MONTHLY_PLAN, unlimited_monthly())
}

/// Sells `membership` of `terms`, sold on and starting [`today`].
pub fn sell(membership: Uuid, plan: Uuid, terms: PlanTerms) -> MemberCommand {
    MemberCommand::SellMembership { membership, plan, terms, start: Start::On(today()), on: today() }
}

pub fn pay(membership: Uuid, amount_cents: u64) -> MemberCommand {
    MemberCommand::RecordPayment { membership, amount_cents, method: PaymentMethod::Cash, on: today() }
}

/// The desk checks the member in on [`MONTHLY`] (with the club's default rules); [`device_with`]
/// dates it the day it is made.
pub fn check_in() -> MemberCommand {
    check_in_on(MONTHLY)
}

/// The desk checks the member in on `membership`, dated [`today`] (see [`dated`]).
pub fn check_in_on(membership: Uuid) -> MemberCommand {
    MemberCommand::CheckIn { on: today(), membership, rules: EntryRules::default() }
}

/// `command` as a desk gives it at `at_ms`: a check-in or an override is dated that day.
pub fn dated(command: MemberCommand, at_ms: u64) -> MemberCommand {
    match command {
        MemberCommand::CheckIn { membership, rules, .. } => {
            MemberCommand::CheckIn { on: day_of(at_ms), membership, rules }
        }
        MemberCommand::OverrideEntry { reason, rules, .. } => {
            MemberCommand::OverrideEntry { on: day_of(at_ms), reason, rules }
        }
        other => other,
    }
}

/// A device with `commands` decided on `stream`, 11 minutes apart from [`T0`] on (outside the
/// duplicate window), its events still pending.
pub fn device_with(name: &str, stream: StreamId, commands: Vec<MemberCommand>) -> MemoryDevice {
    // Each device its own random ids, as real devices have.
    let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let seed = seed ^ (stream.id.as_u128() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut device = desk(name, seed);
    for (i, c) in commands.into_iter().enumerate() {
        let at_ms = T0 + i as u64 * 11 * 60_000;
        device.execute::<Member>(stream, dated(c, at_ms), at_ms).expect("command accepted");
    }
    device
}

/// Decides `command` on `device` at `at_ms` (dated that day), for events made after
/// [`device_with`]'s.
pub fn execute(device: &mut MemoryDevice, stream: StreamId, command: MemberCommand, at_ms: u64) {
    device.execute::<Member>(stream, dated(command, at_ms), at_ms).expect("command accepted");
}

/// A device whose commands are made by [`accounts::MANAGER`] (sign it in with `client_for`).
pub fn desk(name: &str, seed: u64) -> MemoryDevice {
    let mut device = MemoryDevice::new(name, seed);
    device.staff = Some(accounts::MANAGER);
    device
}

/// The push a device would send for all its pending events of one stream, built on `parent`.
pub fn push_of(device: &MemoryDevice, stream: StreamId, parent: u64) -> PushRequest {
    let events: Vec<EventEnvelope> =
        device.pending().into_iter().filter(|e| e.stream == stream && e.version > parent).collect();
    PushRequest {
        device: device.device.clone(),
        batches: vec![PushBatch { stream, parent_version: parent, events }],
        epoch: None,
    }
}

pub async fn eventually<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached within 5 s");
}

impl TestServer {
    /// A server behind the production accept loop (`server::serve::serve`), its limits as
    /// `configure` sets them.
    pub async fn serve(configure: impl FnOnce(&mut AppState)) -> Self {
        Self::serve_with(|store| store, configure).await
    }

    /// The same over the store that `wrap` makes of the real one (to inject a fault).
    pub async fn serve_with(
        wrap: impl FnOnce(std::sync::Arc<dyn store::EventStore>) -> std::sync::Arc<dyn store::EventStore>,
        configure: impl FnOnce(&mut AppState),
    ) -> Self {
        Self::serve_on(None, wrap, configure).await
    }

    /// A server over the database at `url` (a fresh one), or a temporary SQLite file when None.
    pub async fn serve_on(
        url: Option<&str>,
        wrap: impl FnOnce(std::sync::Arc<dyn store::EventStore>) -> std::sync::Arc<dyn store::EventStore>,
        configure: impl FnOnce(&mut AppState),
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = url.map_or_else(|| format!("sqlite://{}", dir.path().join("faraday.db").display()), str::to_owned);
        let store = wrap(store::connect(&url).await.expect("store opens"));
        let accounts = server::auth::accounts::connect(&url).await.expect("accounts open");
        let options = LeptosOptions::builder().output_name("faraday").site_root("target/site").build();
        let mut state = AppState::new(options, store, accounts);
        // Tests sign many devices in at once, as one account from 127.0.0.1: the limits on sign-in
        // attempts have tests of their own (which put the defaults back).
        state.auth.limiter =
            std::sync::Arc::new(server::auth::limiter::LoginLimiter::new(server::auth::limiter::LoginLimits {
                per_account_and_address: 100_000,
                per_account: 100_000,
                per_address: 100_000,
                ..Default::default()
            }));
        configure(&mut state);
        let (club, _) = accounts::make_club(&state, accounts::CLUB_NAME, 0).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(server::serve::serve(listener, state.clone()));
        let mut server =
            Self { addr, http: reqwest::Client::new(), state, club, devices: Default::default(), url, _dir: dir };
        server.http = server.client_for("test-device").await;
        server
    }

    /// This server's database, to open it a second time as another process would.
    pub fn database_url(&self) -> String {
        self.url.clone()
    }
}

/// Runs `check` against a server over SQLite, then over PostgreSQL when DATABASE_URL names one
/// (CI sets it): the HTTP API proven on both backends.
pub async fn each_server(test: &str, check: impl AsyncFn(TestServer)) {
    check(TestServer::start().await).await;
    if let Some(url) = backends::postgres(test).await {
        check(TestServer::serve_on(Some(&url), |store| store, |_| {}).await).await;
        backends::drop_database(&url).await;
    }
}
