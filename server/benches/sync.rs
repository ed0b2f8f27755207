//! Sync throughput, side by side in one run (ratios, since the machine is noisy):
//! raw batched SQLite inserts vs pushes over HTTP (validation included), a new device's bootstrap
//! pull, and live fan-out to many connections.
//!
//! cargo bench -p server --bench sync            (BENCH_EVENTS=100000 BENCH_LIVE=1000 by default)

use futures::StreamExt;
use leptos::prelude::LeptosOptions;
use server::{app, store, AppState};
use shared::{
    member::{Member, MemberCommand},
    protocol::{PushBatch, PushRequest},
    replication::memory::MemoryDevice,
    EventEnvelope, StreamId,
};
use std::time::{Duration, Instant};

const EVENTS_PER_MEMBER: usize = 50;
const MEMBERS_PER_PUSH: usize = 10;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// One member's stream: registered, then checked in every 11 minutes.
fn member_events(n: usize) -> Vec<EventEnvelope> {
    let stream = StreamId::member(uuid::Uuid::from_u128(n as u128 + 1));
    let mut device = MemoryDevice::new("bench-desk", n as u64 + 1);
    let t0 = 1_764_000_000_000;
    let register = MemberCommand::RegisterMember {
        name: format!("Member {n}"),
        email: format!("m{n}@example.be"),
        phone: "0470 00 00 00".into(),
    };
    device.execute::<Member>(stream, register, t0).unwrap();
    for i in 1..EVENTS_PER_MEMBER as u64 {
        device.execute::<Member>(stream, MemberCommand::CheckIn, t0 + i * 11 * 60_000).unwrap();
    }
    device.pending()
}

async fn raw_inserts(events: &[EventEnvelope], dir: &std::path::Path) -> Duration {
    let url = format!("sqlite://{}", dir.join("raw.db").display());
    let s = store::SqliteStore::connect(&url).await.unwrap();
    let start = Instant::now();
    for (k, chunk) in events.chunks(MEMBERS_PER_PUSH * EVENTS_PER_MEMBER).enumerate() {
        let mut tx = s.pool().begin_with("BEGIN IMMEDIATE").await.unwrap();
        let mut q = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "INSERT INTO events (position, id, stream, version, event_type, schema_version, data, hlc_ms, hlc_c, device, recorded_ms) ",
        );
        q.push_values(chunk.iter().enumerate(), |mut row, (i, e)| {
            row.push_bind((k * chunk.len() + i + 1) as i64)
                .push_bind(e.id.to_string())
                .push_bind(e.stream.to_string())
                .push_bind(e.version as i64)
                .push_bind(e.event_type.clone())
                .push_bind(e.schema_version as i32)
                .push_bind(e.data.to_string())
                .push_bind(e.hlc.ms as i64)
                .push_bind(e.hlc.c as i64)
                .push_bind(e.device.to_string())
                .push_bind(0i64);
        });
        q.build().execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    start.elapsed()
}

async fn start_server(dir: &std::path::Path) -> (String, AppState) {
    let url = format!("sqlite://{}", dir.join("server.db").display());
    let store = store::connect(&url).await.unwrap();
    let state = AppState::new(LeptosOptions::builder().output_name("faraday").build(), store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let service = app(state.clone());
    tokio::spawn(async move { axum::serve(listener, service).await });
    (base, state)
}

async fn http_pushes(base: &str, events: &[EventEnvelope], clients: usize) -> Duration {
    let pushes: Vec<PushRequest> = events
        .chunks(MEMBERS_PER_PUSH * EVENTS_PER_MEMBER)
        .map(|chunk| PushRequest {
            device: chunk[0].device.clone(),
            batches: chunk
                .chunks(EVENTS_PER_MEMBER)
                .map(|s| PushBatch { stream: s[0].stream, parent_version: 0, events: s.to_vec() })
                .collect(),
        })
        .collect();
    let bodies: Vec<String> = pushes.iter().map(|p| serde_json::to_string(p).unwrap()).collect();
    let http = reqwest::Client::new();
    let start = Instant::now();
    futures::stream::iter(bodies)
        .map(|body| {
            let http = http.clone();
            let url = format!("{base}/api/sync/push");
            async move {
                let res = http.post(url).header("content-type", "application/json").body(body).send().await.unwrap();
                assert_eq!(res.status(), 200);
                res.bytes().await.unwrap();
            }
        })
        .buffer_unordered(clients)
        .collect::<Vec<_>>()
        .await;
    start.elapsed()
}

async fn bootstrap(base: &str, expected: usize) -> Duration {
    let http = reqwest::Client::new();
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
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let head = state.store.head().await.unwrap().position;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(u64, Instant)>();
    for _ in 0..connections {
        let res = http.get(format!("{base}/api/sync/live?after={head}")).send().await.unwrap();
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut stream = eventsource_stream::Eventsource::eventsource(res.bytes_stream());
            while let Some(Ok(e)) = stream.next().await {
                if e.event != "message" {
                    continue; // the stream's status, first and as its heartbeat
                }
                let _ = tx.send((e.id.parse().unwrap(), Instant::now()));
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
    let members = total / EVENTS_PER_MEMBER;
    let events: Vec<EventEnvelope> = (0..members).flat_map(member_events).collect();
    let dir = tempfile::tempdir().unwrap();
    println!(
        "workload: {members} members x {EVENTS_PER_MEMBER} events = {} events, pushes of {} events",
        events.len(),
        MEMBERS_PER_PUSH * EVENTS_PER_MEMBER
    );

    let raw = raw_inserts(&events, dir.path()).await;
    let raw_rate = events.len() as f64 / raw.as_secs_f64();
    println!("raw batched SQLite inserts      {:>8.0} events/s  ({:.2} s)", raw_rate, raw.as_secs_f64());

    let (base, state) = start_server(dir.path()).await;
    let pushed = http_pushes(&base, &events, 4).await;
    let push_rate = events.len() as f64 / pushed.as_secs_f64();
    println!(
        "HTTP push, validated, 4 clients {:>8.0} events/s  ({:.2} s)  = {:.2}x raw",
        push_rate,
        pushed.as_secs_f64(),
        push_rate / raw_rate
    );

    let pull = bootstrap(&base, events.len()).await;
    println!("bootstrap pull of {} events    {:>8.2} s  (pages of 5,000 over HTTP)", events.len(), pull.as_secs_f64());

    let (p50, p99) = live_fan_out(&base, &state, live, 20).await;
    println!(
        "live fan-out to {live} connections: p50 {:.1} ms, p99 {:.1} ms (push to arrival, 20 rounds)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}
