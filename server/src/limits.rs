//! How much of the machine one client may hold: connections, live streams, time and memory. Every
//! connection costs a file descriptor; once the process runs out of them it can accept nothing, so
//! the caps are derived from the descriptor limit and stay below it (docs/PROTOCOL.md, "Limits").

use std::time::Duration;

/// Descriptors kept for everything that is not a client connection: the database's files or
/// connections, the site's files being sent, the listener, logs.
pub const DESCRIPTOR_RESERVE: u64 = 128;
/// A club has tens of devices: far more connections than this is an attack or a fault, and each
/// one costs memory as well as a descriptor.
pub const MAX_DERIVED_CONNECTIONS: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once. More wait in the listen backlog, not accepted, until one closes.
    pub max_connections: usize,
    /// Live streams at once; one more is refused with 503. Kept below `max_connections`, so that
    /// health, push and pull always find a connection free however many devices listen.
    pub max_live_connections: usize,
    /// How long the server waits for a request's head (request line and headers), counted from when
    /// it starts waiting: on a new connection, or on a kept-alive one after its last answer. So it
    /// also closes idle kept-alive connections: hyper has one timer for both.
    pub header_read_timeout: Duration,
    /// How long a write to a client may make no progress before the connection is dropped: a
    /// client that stopped reading must not hold its descriptor and buffers for ever.
    pub write_stall_timeout: Duration,
    /// How long an API request's body may go without a byte arriving: a push dripped in slowly is
    /// refused (400 `unreadable_body`), as slow headers are cut off.
    pub body_read_timeout: Duration,
    /// Bytes of messages one live connection may have waiting for its socket.
    pub live_buffer_bytes: usize,
    /// How long that buffer may stay full before the subscriber is dropped (it reconnects and
    /// resumes with `Last-Event-ID`); the events it missed stay in the database, not in memory.
    pub live_send_timeout: Duration,
    /// Connections one address may hold at once; one more is closed as soon as it is accepted. A
    /// client that keeps requests under way (a body dripped in, a byte every 29 s) cannot be
    /// evicted as idle ones are, so without this one address could hold every connection. An
    /// eighth of the cap by default: a club's devices behind one NAT need far fewer.
    pub max_connections_per_address: usize,
    /// Whether loopback addresses count too. Off by default: a reverse proxy on the same machine
    /// brings every client from 127.0.0.1 (it must limit per client itself).
    pub limit_loopback: bool,
}

impl Limits {
    /// The limits for a process that may open `descriptors` files.
    pub fn for_descriptors(descriptors: u64) -> Self {
        let usable = descriptors.saturating_sub(DESCRIPTOR_RESERVE).max(2);
        Self::for_connections(usize::try_from(usable).unwrap_or(usize::MAX).min(MAX_DERIVED_CONNECTIONS))
    }

    /// The limits for `max_connections` connections: three quarters of them may be live streams.
    pub fn for_connections(max_connections: usize) -> Self {
        Self {
            max_connections,
            max_live_connections: max_connections / 4 * 3,
            header_read_timeout: Duration::from_secs(10),
            write_stall_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            // About 30 events of the largest size, hundreds of usual ones; times the live cap, the most
            // that all subscribers together can hold (168 MiB for 672 of them).
            live_buffer_bytes: 256 * 1024,
            // Shorter than the write stall: a live subscriber is dropped (and counted) by its feed
            // first, then its socket closes.
            live_send_timeout: Duration::from_secs(15),
            max_connections_per_address: (max_connections / 8).max(16),
            limit_loopback: false,
        }
    }

    /// These limits with the live cap below the connection cap, as they are served.
    pub fn checked(mut self) -> Self {
        self.max_connections = self.max_connections.clamp(2, u32::MAX as usize);
        if self.max_live_connections >= self.max_connections {
            let live = self.max_connections - 1;
            tracing::warn!(
                max_connections = self.max_connections,
                asked = self.max_live_connections,
                live,
                "the live cap must stay below the connection cap, or live streams could hold every connection"
            );
            self.max_live_connections = live;
        }
        self.live_buffer_bytes = self.live_buffer_bytes.max(1);
        self
    }
}

impl Default for Limits {
    /// For the usual soft descriptor limit of 1,024.
    fn default() -> Self {
        Self::for_descriptors(1_024)
    }
}

/// Raises the soft descriptor limit to the hard one where the system allows it, and returns the
/// limit in force (logged: it decides how many connections are served).
pub fn raise_descriptor_limit() -> u64 {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE).ok();
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(now) => {
            let (soft, hard) = before.unwrap_or((now, now));
            tracing::info!(soft_before = soft, hard, now, "file descriptor limit");
            now
        }
        Err(e) => {
            let soft = before.map(|(soft, _)| soft).unwrap_or(1_024);
            tracing::warn!(error = %e, soft, "could not raise the file descriptor limit; keeping the soft one");
            soft
        }
    }
}
