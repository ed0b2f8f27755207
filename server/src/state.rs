use crate::{live::LiveHub, store::EventStore, writer::Writer};
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
    /// How often an idle live stream sends a comment, so proxies and phones keep it open.
    pub heartbeat: std::time::Duration,
}

impl AppState {
    /// Must be called inside a Tokio runtime: it starts the writer task.
    pub fn new(leptos_options: LeptosOptions, store: Arc<dyn EventStore>) -> Self {
        let live = LiveHub::new(1_024);
        let service_worker = crate::service_worker::load(&leptos_options);
        Self {
            writer: Writer::spawn(store.clone(), live.clone()),
            leptos_options,
            store,
            live,
            shutdown: CancellationToken::new(),
            service_worker,
            heartbeat: std::time::Duration::from_secs(15),
        }
    }
}
