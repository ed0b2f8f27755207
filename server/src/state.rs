use crate::{
    auth::{Accounts, AuthConfig},
    guard::Hosts,
    limits::Limits,
    live::LiveHub,
    store::EventStore,
    writer::Writer,
};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn EventStore>,
    /// Clubs, staff accounts and sessions (the same database as the log).
    pub accounts: Arc<dyn Accounts>,
    pub auth: AuthConfig,
    /// The `Host` values this server answers to (`--public-origin`).
    pub hosts: Arc<Hosts>,
    pub writer: Writer,
    pub live: LiveHub,
    /// Cancelled on shutdown: live streams end so that graceful shutdown does not wait forever.
    pub shutdown: CancellationToken,
    /// The service worker with this build's id stamped in (None when the site is not built).
    pub service_worker: Option<Arc<str>>,
    /// How often a live stream sends its status, so that devices, proxies and phones know it is alive
    /// (`shared::protocol::LIVE_HEARTBEAT_MS`; shorter in tests).
    pub heartbeat: std::time::Duration,
    /// What one client may hold; read by `serve` once at start and by the live stream per request.
    pub limits: Limits,
    /// Bumped at every sign-out on this server: live streams check that their sessions still work.
    pub sign_outs: Arc<tokio::sync::watch::Sender<u64>>,
    /// How often every club's head is read for other processes' commits (`live::watch_head`;
    /// None: its default for the backend).
    pub head_poll: Option<std::time::Duration>,
}

impl AppState {
    /// Must be called inside a Tokio runtime: it starts the writer (`serve` starts the watch of
    /// other processes' commits).
    pub fn new(leptos_options: LeptosOptions, store: Arc<dyn EventStore>, accounts: Arc<dyn Accounts>) -> Self {
        let live = LiveHub::new(1_024);
        let service_worker = crate::service_worker::load(&leptos_options);
        let shutdown = CancellationToken::new();
        Self {
            writer: Writer::spawn(store.clone(), live.clone()),
            leptos_options,
            store,
            accounts,
            auth: AuthConfig::default(),
            hosts: Arc::new(Hosts::default()),
            live,
            shutdown,
            service_worker,
            heartbeat: std::time::Duration::from_millis(shared::protocol::LIVE_HEARTBEAT_MS),
            limits: Limits::default(),
            head_poll: None,
            sign_outs: Arc::new(tokio::sync::watch::Sender::new(0)),
        }
    }

    /// Sets the public origin: the only `Host` answered, and Secure cookies when it is https.
    pub fn with_public_origin(mut self, origin: &str) -> Result<Self, String> {
        let hosts = Hosts::for_origin(origin)?;
        self.auth.secure_cookie = hosts.secure();
        self.hosts = Arc::new(hosts);
        Ok(self)
    }
}
