//! The accept loop: hyper's HTTP/1 connections under the server's [`Limits`], so that idle, slow or
//! silent clients can never take every file descriptor and leave devices unanswered.
//!
//! HTTP/1 only: browsers speak HTTP/2 only over TLS, which a proxy in front terminates.

use crate::{limits::Limits, AppState};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use std::{io, sync::Arc, time::Duration};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
};
use tokio_io_timeout::TimeoutStream;
use tokio_util::sync::CancellationToken;

/// Serves the app on `listener` until `state.shutdown` is cancelled, then stops accepting and waits
/// for the open connections to finish (live streams end on the same signal).
pub async fn serve(listener: TcpListener, mut state: AppState) -> io::Result<()> {
    // The live handler reads the same limits: checked once, here.
    state.limits = state.limits.checked();
    let limits = state.limits.clone();
    let shutdown = state.shutdown.clone();
    let app = crate::app(state);
    tracing::info!(
        max_connections = limits.max_connections,
        max_live_connections = limits.max_live_connections,
        header_read_timeout_ms = limits.header_read_timeout.as_millis() as u64,
        "serving"
    );
    // One permit per open connection: at the cap the loop stops accepting, and new connections
    // wait in the kernel's backlog, costing the process nothing, until one closes.
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut full = false;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => {
                if !full {
                    tracing::warn!(limits.max_connections, "every connection is taken; new ones wait");
                    full = true;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                }
            }
        };
        let (tcp, _) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
        };
        full = false;
        tokio::spawn(connection(tcp, app.clone(), limits.clone(), slot, shutdown.clone()));
    }
    drop(listener);
    // Every connection holds a slot until it ends: all slots back means all connections ended.
    let _ = slots.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

async fn connection(
    tcp: TcpStream,
    app: axum::Router,
    limits: Limits,
    _slot: OwnedSemaphorePermit,
    shutdown: CancellationToken,
) {
    // Live events are small writes that must not wait for the previous one's acknowledgement.
    let _ = tcp.set_nodelay(true);
    let mut io = TimeoutStream::new(tcp);
    io.set_write_timeout(Some(limits.write_stall_timeout));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let conn = http.serve_connection(TokioIo::new(Box::pin(io)), TowerToHyperService::new(app));
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = shutdown.cancelled() => {
            // Answers the request under way, if any, then closes.
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        // Timeouts, resets and malformed requests: the client's business, not the server's.
        tracing::debug!(error = %e, "connection ended");
    }
}

/// Errors about one connection (reset before it was accepted) are nothing; running out of
/// descriptors or memory is, and retrying at once would only spin: wait for connections to close.
async fn accept_failed(e: io::Error) {
    use io::ErrorKind::*;
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset | Interrupted) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying shortly");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
