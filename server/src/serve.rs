//! The accept loop: hyper's HTTP/1 connections under the server's [`Limits`], so that idle, slow or
//! silent clients can never take every file descriptor and leave devices unanswered.
//!
//! HTTP/1 only: browsers speak HTTP/2 only over TLS, which a proxy in front terminates.

use crate::{limits::Limits, AppState};
use futures::TryFutureExt;
use http_body_util::BodyExt;
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
    tokio::spawn(crate::live::watch_head(state.store.clone(), state.live.clone(), state.head_poll, shutdown.clone()));
    let app = crate::app(state);
    tracing::info!(
        max_connections = limits.max_connections,
        max_live_connections = limits.max_live_connections,
        header_read_timeout_ms = limits.header_read_timeout.as_millis() as u64,
        "serving"
    );
    // One permit per open connection: at the cap, new connections wait in the kernel's backlog,
    // costing the process nothing, until one closes or an idle one is made to go.
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let idle = Arc::new(Idle::default());
    let per_address = PerAddress::new(&limits);
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
                    // Someone new while full: the connection idle the longest (never served, or
                    // kept alive between requests) makes room. Clients holding connections open,
                    // silent, dripping headers or asking something now and then, cannot keep out
                    // the devices that send requests. A request under way (a live stream included)
                    // is never cut for this: when every connection has one, the newcomer waits.
                    accepted = listener.accept() => {
                        if accepted.is_ok() {
                            idle.evict_oldest();
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
        let (tcp, peer) = match tcp {
            Ok(accepted) => accepted,
            Err(e) => {
                accept_failed(e).await;
                continue;
            }
        };
        full = false;
        let Some(held) = per_address.admit(peer.ip()) else {
            // Closed at once: its slot is free again for others.
            tracing::debug!(address = %peer.ip(), "an address holds too many connections; one more was closed");
            continue;
        };
        let place = idle.add();
        let (app, limits, shutdown) = (app.clone(), limits.clone(), shutdown.clone());
        tokio::spawn(async move {
            connection(tcp, peer, app, limits, slot, shutdown, place).await;
            drop(held);
        });
    }
    drop(listener);
    // Every connection holds a slot until it ends: all slots back means all connections ended.
    let _ = slots.acquire_many(limits.max_connections as u32).await;
    Ok(())
}

/// How many connections each client address holds (`Limits::max_connections_per_address`).
#[derive(Clone)]
struct PerAddress {
    held: Arc<Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>,
    max: usize,
    loopback_too: bool,
}

/// One connection of an address, given back when dropped.
struct Held {
    of: PerAddress,
    address: std::net::IpAddr,
}

impl PerAddress {
    fn new(limits: &Limits) -> Self {
        Self {
            held: Arc::default(),
            max: limits.max_connections_per_address.max(1),
            loopback_too: limits.limit_loopback,
        }
    }

    /// A place for one more connection of `address`, unless it holds its share already.
    fn admit(&self, address: std::net::IpAddr) -> Option<Held> {
        let mut held = self.held.lock().expect("not poisoned");
        let n = held.entry(address).or_insert(0);
        if *n >= self.max && (self.loopback_too || !address.is_loopback()) {
            return None;
        }
        *n += 1;
        Some(Held { of: self.clone(), address })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut held = self.of.held.lock().expect("not poisoned");
        if let Some(n) = held.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.address);
            }
        }
    }
}

/// Connections with no request under way, longest idle first: accepted and never served yet, or
/// between two requests (a live stream is a request under way for as long as it streams).
#[derive(Default)]
struct Idle {
    connections: Mutex<(u64, BTreeMap<u64, CancellationToken>)>,
}

impl Idle {
    /// Cuts the connection idle the longest, if there is one.
    fn evict_oldest(&self) {
        if let Some((_, evicted)) = self.connections.lock().expect("not poisoned").1.pop_first() {
            evicted.cancel();
        }
    }

    fn add(self: &Arc<Self>) -> Arc<Place> {
        let place =
            Arc::new(Place { idle: self.clone(), key: Mutex::new(Ok(None)), evicted: CancellationToken::new() });
        place.idle();
        place
    }
}

/// One connection's place among the idle ones (held while it is idle).
struct Place {
    idle: Arc<Idle>,
    /// Its key among the idle ones while it is idle; `Err` once the connection ended.
    key: Mutex<Result<Option<u64>, ()>>,
    evicted: CancellationToken,
}

impl Place {
    /// A request is under way: the connection is a client's at work and is never cut for room.
    fn busy(&self) {
        if let Ok(current) = &mut *self.key.lock().expect("not poisoned") {
            if let Some(old) = current.take() {
                self.idle.connections.lock().expect("not poisoned").1.remove(&old);
            }
        }
    }

    /// The answer was sent (or the connection just opened): idle, newest of the idle ones.
    fn idle(&self) {
        let mut key = self.key.lock().expect("not poisoned");
        let Ok(current) = &mut *key else { return };
        let mut connections = self.idle.connections.lock().expect("not poisoned");
        if let Some(old) = current.take() {
            connections.1.remove(&old);
        }
        connections.0 += 1;
        let new = connections.0;
        connections.1.insert(new, self.evicted.clone());
        *current = Some(new);
    }

    /// The connection ended: it is no longer anywhere, and an answer dropped later changes nothing.
    fn close(&self) {
        let mut key = self.key.lock().expect("not poisoned");
        if let Ok(Some(old)) = *key {
            self.idle.connections.lock().expect("not poisoned").1.remove(&old);
        }
        *key = Err(());
    }
}

/// Marks its connection idle again when the answer's body is done (sent whole, or dropped).
struct AnswerSent(Arc<Place>);

impl Drop for AnswerSent {
    fn drop(&mut self) {
        self.0.idle();
    }
}

#[allow(clippy::too_many_arguments)]
async fn connection(
    tcp: TcpStream,
    peer: std::net::SocketAddr,
    app: axum::Router,
    limits: Limits,
    _slot: OwnedSemaphorePermit,
    shutdown: CancellationToken,
    place: Arc<Place>,
) {
    // Live events are small writes that must not wait for the previous one's acknowledgement.
    let _ = tcp.set_nodelay(true);
    let mut io = TimeoutStream::new(tcp);
    io.set_write_timeout(Some(limits.write_stall_timeout));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let evicted = place.evicted.clone();
    // The connection leaves the idle ones when a request's head is complete (hyper calls the
    // service then), and joins them again when its answer's body is done.
    let closed = place.clone();
    let service = TowerToHyperService::new(app);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
        place.busy();
        // Who is asking, for the per-address limit on sign-in attempts.
        request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        let sent = AnswerSent(place.clone());
        hyper::service::Service::call(&service, request).map_ok(move |answer| {
            answer.map(|body| {
                axum::body::Body::new(body.map_frame(move |frame| {
                    let _ = &sent;
                    frame
                }))
            })
        })
    });
    let served = async move {
        let conn = http.serve_connection(TokioIo::new(Box::pin(io)), service);
        tokio::pin!(conn);
        tokio::select! {
            result = conn.as_mut() => result,
            // Room for a newer connection (see `Idle`): nothing was under way on this one.
            _ = evicted.cancelled() => Ok(()),
            _ = shutdown.cancelled() => {
                // Answers the request under way, if any, then closes.
                conn.as_mut().graceful_shutdown();
                conn.await
            }
        }
    };
    let result = served.await;
    closed.close();
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
