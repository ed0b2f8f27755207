//! The server under abuse, over real TCP: floods of live connections, idle, slow and silent
//! clients, subscribers that never read, and requests the API cannot read. The limits are set
//! small so that they are reached fast; no test measures how long anything takes.

mod common;

use common::*;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use server::{
    limits::Limits,
    store::{Commit, EventStore, GroupOutcome, LogHead, StoreError},
};
use shared::{
    protocol::{LogEpoch, PushRequest},
    ClubId, EventEnvelope,
};
use std::{net::SocketAddr, sync::Arc, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpSocket, TcpStream},
};

/// Generous bounds on waits that must end: reaching one is a failure, never a measurement.
const PATIENCE: Duration = Duration::from_secs(30);

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads until the server closes the connection; the bytes read. Panics if it never does.
async fn read_until_closed(tcp: &mut TcpStream) -> Vec<u8> {
    let mut bytes = vec![];
    let mut buf = vec![0; 64 * 1024];
    let read = async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(PATIENCE, read).await.expect("the server closes the connection");
    bytes
}

async fn open_live(server: &TestServer) -> reqwest::Response {
    let res = server.http.get(server.url("/api/sync/live")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res
}

async fn store_a_member(server: &TestServer, n: u128) {
    let device = device_with(&format!("desk-{n}"), member(n), vec![register(&format!("M{n}"))]);
    let (status, body) = server.push(&push_of(&device, member(n), 0)).await;
    assert_eq!(status, 200, "{body}");
}

// --- 1. The server stays up for everyone ---------------------------------------------------------

#[tokio::test]
async fn health_push_and_pull_answer_while_every_live_seat_is_taken() {
    let server =
        TestServer::serve(|s| s.limits = Limits { max_live_connections: 4, ..Limits::for_connections(16) }).await;
    let mut listening = vec![];
    for _ in 0..4 {
        listening.push(open_live(&server).await);
    }

    let refused = server.http.get(server.url("/api/sync/live")).send().await.unwrap();
    assert_eq!(refused.status(), 503);
    let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().expect("seconds");
    assert!(retry_after > 0);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_live_connections", "{body}");

    let health = server.http.get(server.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    store_a_member(&server, 1).await;
    assert_eq!(server.pull(0, 10).await.events.len(), 1);

    // A device that leaves gives its seat to the next one.
    listening.pop();
    until("a seat is given back", || server.state.live.connections() < 4).await;
    open_live(&server).await;
}

#[tokio::test]
async fn a_client_sending_its_headers_byte_by_byte_is_cut_off_while_others_are_answered() {
    let server = TestServer::serve(|s| s.limits.header_read_timeout = Duration::from_millis(300)).await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
    let mut buf = [0; 1024];
    let mut dripped = 0;
    // The headers never end: only the server can end this, by closing the connection.
    let answered = loop {
        tokio::select! {
            read = slow.read(&mut buf) => break !matches!(read, Ok(0) | Err(_)),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
        if slow.write_all(b"a").await.is_err() {
            break false;
        }
        dripped += 1;
        assert!(dripped < 1_500, "the slow client was never cut off");
        if dripped % 10 == 0 {
            let health = server.http.get(server.url("/api/health")).send().await.unwrap();
            assert_eq!(health.status(), 200, "the others are answered meanwhile");
        }
    };
    assert!(!answered, "cut off, not answered");
    assert_eq!(server.http.get(server.url("/api/health")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_push_whose_body_drips_in_is_refused_with_a_json_error_and_stores_nothing() {
    let server = TestServer::serve(|s| s.limits.body_read_timeout = Duration::from_millis(300)).await;
    let cookie = server.cookie_for("desk-1").await;
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /api/sync/push HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(b"{\"device\": \"desk-1\", ").await.unwrap();
    // The other 970 bytes never come.
    let bytes = read_until_closed(&mut slow).await;
    let answer = String::from_utf8_lossy(&bytes);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let body: serde_json::Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "unreadable_body", "{body}");
    assert!(server.log().await.is_empty());
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let server = TestServer::serve(|s| s.limits.header_read_timeout = Duration::from_millis(300)).await;
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    tcp.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let bytes = read_until_closed(&mut tcp).await;
    let answer = String::from_utf8_lossy(&bytes);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "answered, kept alive, then closed when idle: {answer}");
}

#[tokio::test]
async fn connections_that_never_finish_a_request_make_room_for_devices_that_do() {
    let limits = Limits { max_live_connections: 1, header_read_timeout: PATIENCE * 4, ..Limits::for_connections(4) };
    let server = TestServer::serve(|s| s.limits = limits).await;
    // Far more clients than the cap start a request and go quiet (they would hold their
    // connections for the whole header timeout, two minutes here)...
    let mut quiet = vec![];
    for _ in 0..50 {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        tcp.write_all(b"GET /api/health HTTP/1.1\r\n").await.unwrap();
        quiet.push(tcp);
    }
    // ...and a device is still answered, health, push and pull alike, long before that.
    let health = tokio::time::timeout(PATIENCE, server.http.get(server.url("/api/health")).send()).await;
    assert_eq!(health.expect("answered while the quiet ones wait").unwrap().status(), 200);
    tokio::time::timeout(PATIENCE, store_a_member(&server, 1)).await.expect("a push is answered");
    assert_eq!(server.pull(0, 10).await.events.len(), 1);
    drop(quiet);
}

/// Sends one whole request on `tcp` and reads its answer, leaving the connection open.
async fn one_request(tcp: &mut TcpStream) {
    tcp.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(b"ok") {
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn connections_kept_open_between_requests_make_room_too_but_a_request_under_way_is_never_cut() {
    let limits = Limits { max_live_connections: 2, header_read_timeout: PATIENCE * 4, ..Limits::for_connections(4) };
    let server = TestServer::serve(|s| s.limits = limits).await;
    let cookie = server.cookie_for("test-device").await;
    // Two live streams: requests under way for as long as they stream.
    let mut live = vec![];
    for _ in 0..2 {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        let request = format!("GET /api/sync/live?after=0 HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n\r\n");
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut buf = [0u8; 512];
        assert!(tcp.read(&mut buf).await.unwrap() > 0, "the live stream answered");
        live.push(tcp);
    }
    // Two clients that were answered and keep their connections open, asking now and then: at
    // the cap they are idle, and make room for newcomers like silent ones do.
    let mut kept = vec![];
    for _ in 0..2 {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        one_request(&mut tcp).await;
        kept.push(tcp);
    }
    for _ in 0..3 {
        let health = tokio::time::timeout(PATIENCE, server.http.get(server.url("/api/health")).send()).await;
        assert_eq!(health.expect("answered while every connection is taken").unwrap().status(), 200);
        let fresh = common::accounts::client_with(&cookie);
        let pull = tokio::time::timeout(PATIENCE, fresh.get(server.url("/api/sync/pull?after=0")).send()).await;
        assert_eq!(pull.expect("answered").unwrap().status(), 200);
    }
    // The live streams were never cut: they still get what is stored.
    store_a_member(&server, 1).await;
    for tcp in &mut live {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&seen).contains("MemberRegistered") {
            let n = tokio::time::timeout(PATIENCE, tcp.read(&mut buf)).await.expect("the stream still flows").unwrap();
            assert!(n > 0, "the live stream was cut");
            seen.extend_from_slice(&buf[..n]);
        }
    }
}

#[tokio::test]
async fn shutting_down_ends_live_streams_and_idle_connections_then_the_loop() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let store = server::store::connect(&url).await.unwrap();
    let accounts = server::auth::accounts::connect(&url).await.unwrap();
    let options = leptos::prelude::LeptosOptions::builder().output_name("faraday").build();
    let state = server::AppState::new(options, store, accounts);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    common::accounts::make_club(&state, common::accounts::CLUB_NAME, 0).await;
    let serving = tokio::spawn(server::serve::serve(listener, state.clone()));
    let (_, cookie, _) = common::accounts::sign_in(
        &format!("http://{addr}"),
        common::accounts::email_of(common::accounts::MANAGER),
        common::accounts::PASSWORD,
        "desk-1",
    )
    .await;
    let http = common::accounts::client_with(&cookie.unwrap());
    let live = http.get(format!("http://{addr}/api/sync/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let health = http.get(format!("http://{addr}/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "and its connection is kept alive, idle");

    state.shutdown.cancel();
    let ended = tokio::time::timeout(PATIENCE, serving).await.expect("the loop returns once every connection ended");
    ended.unwrap().unwrap();
    let rest: Vec<_> = live.bytes_stream().collect().await;
    assert!(rest.iter().all(|chunk| chunk.is_ok()), "the live stream ended cleanly");
}

/// The `faraday` binary, started by a shell whose descriptor limit is `descriptors`.
struct Binary {
    child: std::process::Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Binary {
    fn start(descriptors: u64) -> Self {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let database_url = format!("sqlite://{}", dir.path().join("faraday.db").display());
        let made = std::process::Command::new(env!("CARGO_BIN_EXE_faraday"))
            .args(["user", "add", "--club", "C", "--email", "desk@c.test", "--name", "Desk", "--role", "front_desk"])
            .env("DATABASE_URL", &database_url)
            .env("FARADAY_PASSWORD", common::accounts::PASSWORD)
            .output()
            .unwrap();
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        let mut child = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {descriptors} && exec \"$0\" serve --addr 127.0.0.1:0"))
            .arg(env!("CARGO_BIN_EXE_faraday"))
            .env("DATABASE_URL", format!("sqlite://{}", dir.path().join("faraday.db").display()))
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .current_dir(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        let mut raised = false;
        let addr = loop {
            let line = lines.next().expect("the server says where it listens").unwrap();
            raised |= line.contains("file descriptor limit");
            if let Some(addr) = line.split("listening on http://").nth(1) {
                break addr.trim().parse().expect("an address");
            }
        };
        // Checkouts sharing one target directory replace each other's binary there.
        assert!(raised, "{} does not log its descriptor limit: not this build's binary", env!("CARGO_BIN_EXE_faraday"));
        // Keep reading its log, so that it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self { child, addr, _dir: dir }
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn the_binary_answers_everyone_when_idle_live_connections_outnumber_its_descriptors() {
    const DESCRIPTORS: u64 = 256;
    let binary = Binary::start(DESCRIPTORS);
    let url = |path: &str| format!("http://{}{path}", binary.addr);
    let (status, cookie, me) =
        common::accounts::sign_in(&url(""), "desk@c.test", common::accounts::PASSWORD, "desk-1").await;
    assert_eq!(status, 200, "{me}");
    let http = common::accounts::client_with(&cookie.unwrap());
    let mut listening = vec![];
    let mut refused = 0;
    for _ in 0..DESCRIPTORS + 44 {
        let res = tokio::time::timeout(PATIENCE, http.get(url("/api/sync/live")).send())
            .await
            .expect("every live request is answered, one way or the other")
            .unwrap();
        match res.status().as_u16() {
            200 => listening.push(res),
            503 => {
                let body: serde_json::Value = res.json().await.unwrap();
                assert_eq!(body["error"]["code"], "too_many_live_connections");
                refused += 1;
            }
            other => panic!("unexpected {other}"),
        }
    }
    let expected = Limits::for_descriptors(DESCRIPTORS).max_live_connections;
    assert_eq!(listening.len(), expected, "the live cap follows from the descriptor limit");
    assert_eq!(refused, DESCRIPTORS as usize + 44 - expected);

    let answers = async {
        let health = http.get(url("/api/health")).send().await.unwrap().status();
        let mut device = common::desk("desk-1", 1);
        device.staff = Some(serde_json::from_value(me["staff"].clone()).unwrap());
        device.execute::<shared::member::Member>(member(1), register("Anna"), T0).unwrap();
        let push = http.post(url("/api/sync/push")).json(&push_of(&device, member(1), 0)).send().await.unwrap();
        let pull = http.get(url("/api/sync/pull")).send().await.unwrap().status();
        (health, push.status(), pull)
    };
    let (health, push, pull) = tokio::time::timeout(PATIENCE, answers).await.expect("answered");
    assert_eq!((health.as_u16(), push.as_u16(), pull.as_u16()), (200, 200, 200));
}

// --- 2. A live subscriber cannot eat the server's memory -----------------------------------------

/// Writes `count` events whose data is `data_bytes` long straight into the database, as an older
/// server (before the domain's limit on event data) or another process would have; the last position.
async fn store_large_events(server: &TestServer, count: usize, data_bytes: usize) -> u64 {
    let other = server::store::SqliteStore::connect(&server.database_url()).await.unwrap();
    // The club's log exists (its head row) before the rows go in.
    server.state.store.head(server.club).await.unwrap();
    let data = serde_json::json!({ "name": "x".repeat(data_bytes), "email": "", "phone": "" }).to_string();
    let mut tx = other.pool().begin().await.unwrap();
    for position in 1..=count as i64 {
        sqlx::query(
            "INSERT INTO events (club, position, id, stream, version, event_type, schema_version, data, hlc_ms, \
             hlc_c, device, recorded_ms) VALUES ($1, $2, $3, $4, 1, 'MemberRegistered', 1, $5, $6, 0, 'loader', $6)",
        )
        .bind(server.club.to_string())
        .bind(position)
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(member(1_000 + position as u128).to_string())
        .bind(&data)
        .bind(T0 as i64)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE club_logs SET position = $1 WHERE club = $2")
        .bind(count as i64)
        .bind(server.club.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    count as u64
}

/// The positions the live stream sends after `after` up to `until`, reconnecting with
/// Last-Event-ID whenever the server drops the connection, as a browser does.
async fn read_live(server: &TestServer, after: u64, until: u64) -> Vec<u64> {
    let (mut got, mut last) = (vec![], after);
    for _ in 0..20 {
        let res = server.http.get(server.url("/api/sync/live")).header("Last-Event-ID", last.to_string()).send().await;
        let mut events = res.unwrap().bytes_stream().eventsource();
        while let Ok(Some(Ok(e))) = tokio::time::timeout(PATIENCE, events.next()).await {
            if e.event == "message" {
                last = e.id.parse().unwrap();
                got.push(last);
                if last >= until {
                    return got;
                }
            }
        }
    }
    panic!("the live stream never reached {until}: {} events", got.len());
}

#[tokio::test]
async fn a_subscriber_that_never_reads_is_dropped_while_a_reading_one_gets_every_event() {
    const BUDGET: usize = 256 * 1024;
    let server = TestServer::serve(|s| {
        s.limits.live_buffer_bytes = BUDGET;
        s.limits.live_send_timeout = Duration::from_secs(1);
        s.limits.write_stall_timeout = Duration::from_secs(3);
        // Only being dropped may close the connection here, not being idle.
        s.limits.header_read_timeout = PATIENCE * 4;
    })
    .await;
    let head = store_large_events(&server, 400, 48 * 1024).await;

    // Asks for everything, then never reads a byte (and keeps its receive window small).
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let cookie = server.cookie_for("test-device").await;
    let mut stuck = socket.connect(server.addr).await.unwrap();
    let request = format!("GET /api/sync/live?after=0 HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\n\r\n");
    stuck.write_all(request.as_bytes()).await.unwrap();
    until("the stuck subscriber is connected", || server.state.live.connections() == 1).await;

    let got = read_live(&server, 0, head).await;
    assert_eq!(got, (1..=head).collect::<Vec<_>>(), "every event, in order, none twice");

    until("the stuck subscriber is dropped", || {
        let buffered = server.state.live.buffered_bytes();
        assert!(buffered <= 2 * BUDGET, "{buffered} bytes held for two subscribers of {BUDGET}");
        server.state.live.dropped_slow() >= 1
    })
    .await;
    // Its connection ends although it never read: the write that stalled is given up.
    until("its seat is given back", || server.state.live.connections() == 0).await;
    assert_eq!(server.state.live.buffered_bytes(), 0);
    let received = read_until_closed(&mut stuck).await;
    assert!(received.len() < 400 * 48 * 1024, "closed before it had everything: {} bytes", received.len());

    // The server goes on: a new event reaches a subscriber resuming where it was.
    store_a_member(&server, 1).await;
    assert_eq!(read_live(&server, head, head + 1).await, [head + 1]);
}

// --- 5. Every API answer that is an error has the JSON shape -------------------------------------

/// The real store, except that a pull after position 999 panics: a stand-in for a bug in a handler.
struct PanicsOnPull(Arc<dyn EventStore>);

#[async_trait::async_trait]
impl EventStore for PanicsOnPull {
    async fn push_group(
        &self,
        club: ClubId,
        pushes: &[PushRequest],
        now_ms: u64,
        commit: Commit,
    ) -> Result<GroupOutcome, StoreError> {
        self.0.push_group(club, pushes, now_ms, commit).await
    }

    async fn pull(&self, club: ClubId, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError> {
        assert_ne!(after, 999, "a bug");
        self.0.pull(club, after, limit).await
    }

    async fn head(&self, club: ClubId) -> Result<LogHead, StoreError> {
        self.0.head(club).await
    }

    async fn heads(&self) -> Result<Vec<(ClubId, LogHead)>, StoreError> {
        self.0.heads().await
    }

    async fn read_streams(
        &self,
        club: ClubId,
        table: &str,
        after: Option<shared::StreamId>,
        limit: u32,
    ) -> Result<Vec<shared::protocol::StreamRow>, StoreError> {
        self.0.read_streams(club, table, after, limit).await
    }

    async fn read_stream(
        &self,
        club: ClubId,
        stream: shared::StreamId,
    ) -> Result<Option<shared::protocol::StreamRow>, StoreError> {
        self.0.read_stream(club, stream).await
    }

    async fn read_rows(
        &self,
        club: ClubId,
        table: &str,
        from: u64,
        after: Option<uuid::Uuid>,
        to: u64,
        limit: u32,
    ) -> Result<Vec<shared::protocol::EventRow>, StoreError> {
        self.0.read_rows(club, table, from, after, to, limit).await
    }

    async fn new_epoch(&self, club: ClubId) -> Result<LogEpoch, StoreError> {
        self.0.new_epoch(club).await
    }

    async fn adopt_unowned_log(&self, club: ClubId) -> Result<Option<LogHead>, StoreError> {
        self.0.adopt_unowned_log(club).await
    }
}

/// A request as bytes, on a connection the server closes after answering.
fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    [head.as_bytes(), body].concat()
}

fn chunked(body: &[u8]) -> Vec<u8> {
    [format!("{:x}\r\n", body.len()).as_bytes(), body, b"\r\n0\r\n\r\n"].concat()
}

struct Answer {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

async fn send_raw(addr: SocketAddr, bytes: &[u8]) -> Answer {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(bytes).await.unwrap();
    let answer = read_until_closed(&mut tcp).await;
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    Answer { status, head, body: answer[split + 4..].to_vec() }
}

#[tokio::test]
async fn every_refusal_of_the_api_answers_json_and_stores_nothing() {
    let server = TestServer::serve_with(|store| Arc::new(PanicsOnPull(store)), |_| {}).await;
    store_a_member(&server, 1).await;
    let log = server.log().await;
    let device = device_with("desk-2", member(2), vec![register("Bea")]);
    let push = serde_json::to_vec(&push_of(&device, member(2), 0)).unwrap();
    let length = push.len().to_string();
    let json = ("Content-Type", "application/json");
    let cookie = server.cookie_for("desk-2").await;
    let c = ("Cookie", cookie.as_str());

    #[rustfmt::skip]
    let table: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("POST on pull", request("POST", "/api/sync/pull", &[c, json, ("Content-Length", &length)], &push), 405, "method_not_allowed"),
        ("GET on push", request("GET", "/api/sync/push", &[c], b""), 405, "method_not_allowed"),
        ("DELETE on live", request("DELETE", "/api/sync/live", &[c], b""), 405, "method_not_allowed"),
        ("PUT on health", request("PUT", "/api/health", &[c, ("Content-Length", "0")], b""), 405, "method_not_allowed"),
        ("Content-Length, then Transfer-Encoding",
            request("POST", "/api/sync/push", &[c, json, ("Content-Length", &length), ("Transfer-Encoding", "chunked")], &chunked(&push)),
            400, "transfer_encoding_refused"),
        ("Transfer-Encoding, then Content-Length",
            request("POST", "/api/sync/push", &[c, json, ("Transfer-Encoding", "chunked"), ("Content-Length", &length)], &chunked(&push)),
            400, "transfer_encoding_refused"),
        ("Transfer-Encoding alone",
            request("POST", "/api/sync/push", &[c, json, ("Transfer-Encoding", "chunked")], &chunked(&push)),
            400, "transfer_encoding_refused"),
        ("gzip the server does not decode",
            request("POST", "/api/sync/push", &[c, json, ("Content-Length", &length), ("Content-Encoding", "gzip")], &push),
            415, "unsupported_content_encoding"),
        ("identity, then br",
            request("POST", "/api/sync/push", &[c, json, ("Content-Length", &length), ("Content-Encoding", "identity, br")], &push),
            415, "unsupported_content_encoding"),
        ("a handler that panics", request("GET", "/api/sync/pull?after=999", &[c], b""), 500, "internal"),
        ("no such endpoint", request("GET", "/api/nothing", &[c], b""), 404, "not_found"),
        ("the API's root", request("GET", "/api", &[c], b""), 404, "not_found"),
        ("the API's root, with a slash", request("GET", "/api/", &[c], b""), 404, "not_found"),
        ("a POST to the API's root", request("POST", "/api/", &[c, json, ("Content-Length", &length)], &push), 404, "not_found"),
        ("a DELETE deep under the API", request("DELETE", "/api/sync/push/x/y", &[c], b""), 404, "not_found"),
    ];
    for (line, bytes, status, code) in table {
        let answer = send_raw(server.addr, &bytes).await;
        assert_eq!(answer.status, status, "{line}: {}", answer.head);
        assert_eq!(answer.header("content-type").as_deref(), Some("application/json"), "{line}");
        let body: serde_json::Value = serde_json::from_slice(&answer.body).expect(line);
        assert_eq!(body["error"]["code"], code, "{line}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{line}: {body}");
        match status {
            405 => assert!(answer.header("allow").is_some_and(|a| !a.is_empty()), "{line}: names the methods"),
            415 => assert_eq!(answer.header("accept-encoding").as_deref(), Some("identity"), "{line}"),
            500 => {
                assert!(!body["error"]["message"].as_str().unwrap().contains("bug"), "{line}: details stay in the log")
            }
            _ => {}
        }
        assert_eq!(server.log().await, log, "{line}: nothing stored");
    }

    // The same push, framed and encoded as the API reads it, is stored.
    let plain = request(
        "POST",
        "/api/sync/push",
        &[c, json, ("Content-Length", &length), ("Content-Encoding", "identity")],
        &push,
    );
    assert_eq!(send_raw(server.addr, &plain).await.status, 200);
    assert_eq!(server.log().await.len(), log.len() + 1);
}

#[tokio::test]
async fn a_message_hyper_cannot_frame_is_refused_before_the_api_sees_it() {
    let server = TestServer::serve(|_| {}).await;
    // Not chunked last: no reader can tell where the body ends. hyper answers 400 itself, with no
    // body (the API's JSON cannot reach a request that was never parsed), and closes the connection.
    let body = b"{}";
    let bytes = request(
        "POST",
        "/api/sync/push",
        &[("Content-Type", "application/json"), ("Content-Length", "2"), ("Transfer-Encoding", "gzip")],
        body,
    );
    let answer = send_raw(server.addr, &bytes).await;
    assert_eq!(answer.status, 400, "{}", answer.head);
    assert!(server.log().await.is_empty());
}

#[tokio::test]
async fn a_push_declaring_a_body_over_the_limit_is_refused_at_once_without_reading_it() {
    // The body read timeout stays at its 30 s: the answer must not wait for it.
    let server = TestServer::serve(|_| {}).await;
    let declared = (8u64 << 30).to_string();
    let head =
        request("POST", "/api/sync/push", &[("Content-Type", "application/json"), ("Content-Length", &declared)], b"");
    let answer = tokio::time::timeout(Duration::from_secs(5), send_raw(server.addr, &head))
        .await
        .expect("answered at once, not when the body read times out");
    assert_eq!(answer.status, 413, "{}", answer.head);
    assert_eq!(answer.header("content-type").as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("4 MiB"), "{body}");
    assert!(server.log().await.is_empty());
}

#[tokio::test]
async fn one_address_holding_requests_under_way_cannot_take_the_connections_of_others() {
    let server = TestServer::serve(|s| {
        s.limits.max_connections_per_address = 3;
        s.limits.limit_loopback = true;
    })
    .await;
    let cookie = server.cookie_for("desk-1").await;
    // Three pushes from 127.0.0.1 whose bodies drip in: requests under way, never evicted.
    let mut dripping = vec![];
    for _ in 0..3 {
        let mut tcp = TcpStream::connect(server.addr).await.unwrap();
        let head = format!(
            "POST /api/sync/push HTTP/1.1\r\nHost: localhost\r\nCookie: {cookie}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        dripping.push(tcp);
    }
    // A fourth connection of the same address is closed at once, before any request is read.
    let mut fourth = TcpStream::connect(server.addr).await.unwrap();
    let _ = fourth.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    let answered = tokio::time::timeout(PATIENCE, read_until_closed(&mut fourth)).await.expect("closed in time");
    assert!(answered.is_empty(), "{}", String::from_utf8_lossy(&answered));
    // Another address is served as usual.
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
    let mut other = socket.connect(server.addr).await.unwrap();
    other.write_all(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = tokio::time::timeout(PATIENCE, read_until_closed(&mut other)).await.expect("answered");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    drop(dripping);
}
