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
use std::{
    collections::BTreeMap,
    io,
    sync::{Arc, Mutex},
    time::Duration,
};
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
    // One permit per open connection: at the cap, new connections wait in the kernel's backlog,
    // costing the process nothing, until one closes or one that was never served is made to go.
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let unserved = Arc::new(Unserved::default());
    let mut full = false;
    loop {
        let (tcp, slot) = match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let tcp = tokio::select! {
                    _ = shutdown.cancelled() => break,
                    accepted = listener.accept() => accepted,
                };
                (tcp, slot)
            }
            Err(_) => {
                if !full {
                    tracing::warn!(limits.max_connections, "every connection is taken; new ones wait");
                    full = true;
                }
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    // A slot came free: accept whoever is next, as usual.
                    _ = slots.clone().acquire_owned() => continue,
                    // Someone new while full: the oldest connection that never completed a request
                    // makes room. One client opening connections and sending nothing, or dripping
                    // its headers, cannot keep out the devices that send requests. Connections that
                    // were served (a live stream, one kept alive between requests) are never cut
                    // for this: then the newcomer waits for one to end.
                    accepted = listener.accept() => {
                        if accepted.is_ok() {
                            unserved.evict_oldest();
                        }
                        let slot = tokio::select! {
                            _ = shutdown.cancelled() => break,
                            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
                        };
                        (accepted, slot)
                    }
                }
            }
        };
        let tcp = match tcp {
            Ok((tcp, _)) => tcp,
            Err(e) => {
                accept_failed(e).await;
                continue;
            }
        };
        full = false;
        let waiting = unserved.add();
        tokio::spawn(connection(tcp, app.clone(), limits.clone(), slot, shutdown.clone(), waiting));
    }
    drop(listener);
    // Every connection holds a slot until it ends: all slots back means all connections ended.
    let _ = slots.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

/// Connections accepted that have not completed a request yet, oldest first.
#[derive(Default)]
struct Unserved {
    waiting: Mutex<(u64, BTreeMap<u64, CancellationToken>)>,
}

/// One connection's place among the unserved, until its first request or its end.
struct Waiting {
    unserved: Arc<Unserved>,
    id: u64,
    evicted: CancellationToken,
}

impl Unserved {
    fn add(self: &Arc<Self>) -> Waiting {
        let mut waiting = self.waiting.lock().expect("not poisoned");
        waiting.0 += 1;
        let (id, evicted) = (waiting.0, CancellationToken::new());
        waiting.1.insert(id, evicted.clone());
        Waiting { unserved: self.clone(), id, evicted }
    }

    /// Cuts the oldest connection still waiting for its first request, if there is one.
    fn evict_oldest(&self) {
        if let Some((_, evicted)) = self.waiting.lock().expect("not poisoned").1.pop_first() {
            evicted.cancel();
        }
    }
}

impl Waiting {
    /// The connection completed a request: it is a client's, not a squatter's.
    fn served(&self) {
        self.unserved.waiting.lock().expect("not poisoned").1.remove(&self.id);
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.served();
    }
}

async fn connection(
    tcp: TcpStream,
    app: axum::Router,
    limits: Limits,
    _slot: OwnedSemaphorePermit,
    shutdown: CancellationToken,
    waiting: Waiting,
) {
    // Live events are small writes that must not wait for the previous one's acknowledgement.
    let _ = tcp.set_nodelay(true);
    let mut io = TimeoutStream::new(tcp);
    io.set_write_timeout(Some(limits.write_stall_timeout));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let evicted = waiting.evicted.clone();
    let waiting = Arc::new(waiting);
    let service = TowerToHyperService::new(app);
    // hyper calls the service once a request's head is complete.
    let service = hyper::service::service_fn(move |request| {
        waiting.served();
        hyper::service::Service::call(&service, request)
    });
    let conn = http.serve_connection(TokioIo::new(Box::pin(io)), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        // Room for a newer connection (see `Unserved`): nothing was under way on this one.
        _ = evicted.cancelled() => return,
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
