use crate::{limits::Limits, live::LiveHub, store::EventStore, writer::Writer};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn EventStore>,
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
}

impl AppState {
    /// Must be called inside a Tokio runtime: it starts the writer and the watch of the log's head.
    pub fn new(leptos_options: LeptosOptions, store: Arc<dyn EventStore>) -> Self {
        let live = LiveHub::new(1_024);
        let service_worker = crate::service_worker::load(&leptos_options);
        let shutdown = CancellationToken::new();
        tokio::spawn(crate::live::watch_head(
            store.clone(),
            live.clone(),
            crate::live::HEAD_WATCH_INTERVAL,
            shutdown.clone(),
        ));
        Self {
            writer: Writer::spawn(store.clone(), live.clone()),
            leptos_options,
            store,
            live,
            shutdown,
            service_worker,
            heartbeat: std::time::Duration::from_millis(shared::protocol::LIVE_HEARTBEAT_MS),
            limits: Limits::default(),
        }
    }
}
