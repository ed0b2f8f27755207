//! Sync throughput, side by side in one run (ratios, since the machine is noisy), on SQLite and —
//! when DATABASE_URL names one — PostgreSQL:
//! - raw batched inserts of the same rows vs pushes over HTTP (validation included), over the whole
//!   load and over its first and last fifth (cost must not grow with the log);
//! - a one-event push to a stream of 60,000 events vs to a fresh stream (cost must not grow with
//!   the stream);
//! - a new device's bootstrap pull, and live fan-out to many connections (SQLite run only).
//!
//! cargo bench -p server --bench sync     (BENCH_EVENTS=100000 BENCH_LIVE=1000 BENCH_STREAM=60000)

#[path = "sync/workload.rs"]
mod workload;

use futures::StreamExt;
use leptos::prelude::LeptosOptions;
use server::{store, AppState};
use shared::{
    protocol::{PushBatch, PushRequest},
    EventEnvelope,
};
use std::time::{Duration, Instant};
use workload::{env, member_events, Backend, RawTable, EVENTS_PER_MEMBER, MEMBERS_PER_PUSH};

/// Each bench server's club and the session cookie of the workload's desk on it, by base URL.
static SESSIONS: std::sync::Mutex<Vec<(String, String, shared::ClubId)>> = std::sync::Mutex::new(Vec::new());

/// A server with the workload's staff account, its desk signed in (the API needs a session).
async fn start_server(url: &str) -> (String, AppState) {
    let store = store::connect(url).await.unwrap();
    let accounts = server::auth::accounts::connect(url).await.unwrap();
    let mut state = AppState::new(LeptosOptions::builder().output_name("faraday").build(), store, accounts);
    // Room for the fan-out's connections; served by the real accept loop, as `faraday serve` does.
    state.limits = server::limits::Limits::for_connections(20_000);
    let club = state.accounts.club("Bench club", 1).await.unwrap();
    let hash = server::auth::password::hash(workload::PASSWORD);
    state.accounts.add_staff(workload::STAFF, "bench@club.test", "Bench", &hash, 1).await.unwrap();
    state.accounts.grant(workload::STAFF, club, shared::Role::Manager).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve::serve(listener, state.clone()));
    let login = serde_json::json!({"email": "bench@club.test", "password": workload::PASSWORD, "device": "bench-desk"});
    let res = reqwest::Client::new().post(format!("{base}/api/auth/login")).json(&login).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    SESSIONS.lock().unwrap().push((base.clone(), cookie, club));
    (base, state)
}

/// A client of the server at `base`, signed in as the workload's desk.
fn signed_in(base: &str) -> reqwest::ClientBuilder {
    let sessions = SESSIONS.lock().unwrap();
    let (_, cookie, _) = sessions.iter().find(|(b, _, _)| b == base).expect("a bench server");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    reqwest::Client::builder().default_headers(headers)
}

/// The club of the server at `base`.
fn club_of(base: &str) -> shared::ClubId {
    SESSIONS.lock().unwrap().iter().find(|(b, _, _)| b == base).expect("a bench server").2
}

fn pushes_of(events: &[EventEnvelope]) -> Vec<String> {
    events
        .chunks(MEMBERS_PER_PUSH * EVENTS_PER_MEMBER)
        .map(|chunk| PushRequest {
            device: chunk[0].device.clone(),
            batches: chunk
                .chunks(EVENTS_PER_MEMBER)
                .map(|s| PushBatch { stream: s[0].stream, parent_version: s[0].version - 1, events: s.to_vec() })
                .collect(),
            epoch: None,
        })
        .map(|p| serde_json::to_string(&p).unwrap())
        .collect()
}

/// Sends the bodies, `clients` at a time; how long it took.
async fn http_pushes(base: &str, bodies: Vec<String>, clients: usize) -> Duration {
    let http = signed_in(base).build().unwrap();
    let start = Instant::now();
    futures::stream::iter(bodies)
        .map(|body| {
            let http = http.clone();
            let url = format!("{base}/api/sync/push");
            async move {
                let res = http.post(url).header("content-type", "application/json").body(body).send().await.unwrap();
                assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
                res.bytes().await.unwrap();
            }
        })
        .buffer_unordered(clients)
        .collect::<Vec<_>>()
        .await;
    start.elapsed()
}

fn rate(events: usize, time: Duration) -> f64 {
    events as f64 / time.as_secs_f64()
}

/// Raw inserts vs HTTP pushes of the same rows, in ten slices taken in turns (raw slice, push
/// slice, …) so that both see the same log lengths and the same noise from the rest of the machine.
async fn throughput(backend: &Backend, events: &[EventEnvelope]) {
    const SLICES: usize = 10;
    let mut raw = RawTable::new(backend, false).await;
    // The server's PostgreSQL store inserts through unnest(arrays): measured against that too.
    let mut unnest = match backend {
        Backend::Postgres(_) => Some(RawTable::new(backend, true).await),
        Backend::Sqlite(_) => None,
    };
    let url = backend.fresh("server").await;
    let (base, _state) = start_server(&url).await;
    let slice = events.len().div_ceil(SLICES).next_multiple_of(MEMBERS_PER_PUSH * EVENTS_PER_MEMBER);
    let (mut raw_times, mut unnest_times, mut push_times) = (vec![], vec![], vec![]);
    for part in events.chunks(slice) {
        raw_times.push((part.len(), raw.insert(part).await));
        if let Some(unnest) = unnest.as_mut() {
            unnest_times.push((part.len(), unnest.insert(part).await));
        }
        push_times.push((part.len(), http_pushes(&base, pushes_of(part), 4).await));
    }
    let total = |t: &[(usize, Duration)]| rate(t.iter().map(|x| x.0).sum(), t.iter().map(|x| x.1).sum());
    let (raw_all, push_all) = (total(&raw_times), total(&push_times));
    println!(
        "{:<10} raw batched inserts {:>7.0} ev/s; HTTP push, validated, 4 clients {:>7.0} ev/s = {:.2}x raw",
        backend.name(),
        raw_all,
        push_all,
        push_all / raw_all
    );
    let slices: Vec<String> =
        raw_times.iter().zip(&push_times).map(|(r, p)| format!("{:.2}", rate(p.0, p.1) / rate(r.0, r.1))).collect();
    println!("{:<10}   push/raw by tenth of the log: {}", backend.name(), slices.join(" "));
    if let Some(unnest) = unnest {
        let unnest_all = total(&unnest_times);
        println!(
            "{:<10}   raw inserts through unnest(arrays) {:>7.0} ev/s: push = {:.2}x that",
            backend.name(),
            unnest_all,
            push_all / unnest_all
        );
        backend.drop_database(unnest.url()).await;
    }
    backend.drop_database(raw.url()).await;
    backend.drop_database(&url).await;
}

/// A one-event push to a stream that holds `length` events, against one to a fresh stream.
async fn long_stream(backend: &Backend, length: usize) {
    let url = backend.fresh("stream").await;
    let (base, state) = start_server(&url).await;
    let (long, later) = workload::one_member(length, 20);
    for part in long.chunks(shared::protocol::MAX_EVENTS_PER_PUSH) {
        let push = PushRequest {
            device: part[0].device.clone(),
            batches: vec![PushBatch {
                stream: part[0].stream,
                parent_version: part[0].version - 1,
                events: part.to_vec(),
            }],
            epoch: None,
        };
        let done = state.writer.push(club_of(&base), push).await.unwrap().unwrap();
        assert_eq!(done.results[0].status, shared::protocol::BatchStatus::Accepted);
    }
    let http = signed_in(&base).build().unwrap();
    let one_by_one = |events: Vec<EventEnvelope>| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let start = Instant::now();
            for e in &events {
                let push = PushRequest {
                    device: e.device.clone(),
                    batches: vec![PushBatch {
                        stream: e.stream,
                        parent_version: e.version - 1,
                        events: vec![e.clone()],
                    }],
                    epoch: None,
                };
                let res = http.post(format!("{base}/api/sync/push")).json(&push).send().await.unwrap();
                assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
            }
            start.elapsed() / events.len() as u32
        }
    };
    let on_long = one_by_one(later).await;
    let (fresh, _) = workload::one_member(21, 0);
    let on_fresh = one_by_one(fresh).await;
    println!(
        "{:<10} one-event push to a stream of {length} events: {:.2} ms; to a fresh stream: {:.2} ms",
        backend.name(),
        on_long.as_secs_f64() * 1e3,
        on_fresh.as_secs_f64() * 1e3
    );
    backend.drop_database(&url).await;
}

async fn bootstrap(base: &str, expected: usize) -> Duration {
    let http = signed_in(base).build().unwrap();
    let start = Instant::now();
    let (mut after, mut got) = (0u64, 0usize);
    loop {
        let page: shared::protocol::PullResponse = http
            .get(format!("{base}/api/sync/pull?after={after}&limit=5000"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        got += page.events.len();
        after = page.next;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(got, expected);
    start.elapsed()
}

async fn live_fan_out(base: &str, state: &AppState, connections: usize, rounds: usize) -> (Duration, Duration) {
    let http = signed_in(base).pool_max_idle_per_host(0).build().unwrap();
    let head = state.store.head(club_of(base)).await.unwrap().position;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    for _ in 0..connections {
        let res = http.get(format!("{base}/api/sync/live?after={head}")).send().await.unwrap();
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut stream = eventsource_stream::Eventsource::eventsource(res.bytes_stream());
            while let Some(Ok(e)) = stream.next().await {
                // Status messages (the greeting and heartbeats) carry no position.
                if let Ok(position) = e.id.parse() {
                    let _ = tx.send((position, Instant::now()));
                }
            }
        });
    }
    while state.live.subscribers() < connections {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let mut latencies = vec![];
    for r in 0..rounds {
        let events = member_events(10_000_000 + r);
        let push = PushRequest {
            device: events[0].device.clone(),
            batches: vec![PushBatch { stream: events[0].stream, parent_version: 0, events: events[..1].to_vec() }],
            epoch: None,
        };
        let sent = Instant::now();
        let res = http.post(format!("{base}/api/sync/push")).json(&push).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let position = head + r as u64 + 1;
        let mut arrived = 0;
        while arrived < connections {
            let (p, at) = rx.recv().await.unwrap();
            if p == position {
                latencies.push(at - sent);
                arrived += 1;
            }
        }
    }
    latencies.sort();
    (latencies[latencies.len() / 2], latencies[latencies.len() * 99 / 100])
}

#[tokio::main]
async fn main() {
    let total = env("BENCH_EVENTS", 100_000);
    let live = env("BENCH_LIVE", 1_000);
    let stream_length = env("BENCH_STREAM", 60_000);
    let members = total / EVENTS_PER_MEMBER;
    let events: Vec<EventEnvelope> = (0..members).flat_map(member_events).collect();
    println!(
        "workload: {members} members x {EVENTS_PER_MEMBER} events = {} events, pushes of {} events",
        events.len(),
        MEMBERS_PER_PUSH * EVENTS_PER_MEMBER
    );
    let backends = Backend::available().await;
    for backend in &backends {
        throughput(backend, &events).await;
    }
    for backend in &backends {
        long_stream(backend, stream_length).await;
    }

    let Some(sqlite) = backends.iter().find(|b| matches!(b, Backend::Sqlite(_))) else { return };
    let url = sqlite.fresh("reads").await;
    let (base, state) = start_server(&url).await;
    http_pushes(&base, pushes_of(&events), 4).await;
    let pull = bootstrap(&base, events.len()).await;
    println!("bootstrap pull of {} events    {:>8.2} s  (pages of 5,000 over HTTP)", events.len(), pull.as_secs_f64());
    let (p50, p99) = live_fan_out(&base, &state, live, 20).await;
    println!(
        "live fan-out to {live} connections: p50 {:.1} ms, p99 {:.1} ms (push to arrival, 20 rounds)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
