//! What the live stream tells a device besides events: where the log stands and that the stream is
//! alive (its `status` messages), where it may resume, and commits made by other processes.

mod common;

use common::*;
use futures::{Stream, StreamExt};
use server::{store::Commit, writer::now_ms};
use shared::protocol::LiveStatus;
use std::time::Duration;

/// One server-sent message as it is on the wire: which fields it has, not only their values.
#[derive(Debug)]
struct Message {
    event: Option<String>,
    id: Option<String>,
    data: String,
}

fn messages(res: reqwest::Response) -> impl Stream<Item = Message> + Unpin {
    Box::pin(futures::stream::unfold((res.bytes_stream(), String::new()), |(mut body, mut buf)| async move {
        loop {
            if let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let mut message = Message { event: None, id: None, data: String::new() };
                for (field, value) in block.lines().filter_map(|line| line.split_once(':')) {
                    let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
                    match field {
                        "event" => message.event = Some(value),
                        "id" => message.id = Some(value),
                        "data" => message.data.push_str(&value),
                        _ => {}
                    }
                }
                return Some((message, (body, buf)));
            }
            let chunk = body.next().await?.ok()?;
            buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }))
}

async fn open(server: &TestServer, query: &str) -> impl Stream<Item = Message> + Unpin {
    let res = server.http.get(server.url(&format!("/api/sync/live{query}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    messages(res)
}

async fn next(messages: &mut (impl Stream<Item = Message> + Unpin)) -> Message {
    tokio::time::timeout(Duration::from_secs(10), messages.next())
        .await
        .expect("a message comes in time")
        .expect("the stream stays open")
}

/// The ids of the next `n` event messages, skipping statuses.
async fn next_events(messages: &mut (impl Stream<Item = Message> + Unpin), n: usize) -> Vec<String> {
    let mut ids = vec![];
    while ids.len() < n {
        let m = next(messages).await;
        if m.event.is_none() {
            ids.push(m.id.expect("an event has an id"));
        }
    }
    ids
}

fn status_of(message: &Message) -> LiveStatus {
    assert_eq!(message.event.as_deref(), Some("status"), "{message:?}");
    assert_eq!(message.id, None, "a status never moves the browser's Last-Event-ID: {message:?}");
    serde_json::from_str(&message.data).expect("a LiveStatus")
}

async fn store_members(server: &TestServer, from: u128, to: u128) {
    for i in from..=to {
        let device = device_with(&format!("desk-{i}"), member(i), vec![register(&format!("M{i}"))]);
        let (status, body) = server.push(&push_of(&device, member(i), 0)).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn a_live_stream_opens_with_where_the_log_stands() {
    let server = TestServer::start().await;
    store_members(&server, 1, 2).await;
    let before = now_ms();
    let mut live = open(&server, "?after=0").await;
    let status = status_of(&next(&mut live).await);
    let after = now_ms();
    let head = server.state.store.head(server.club).await.unwrap();
    assert_eq!(status.head, 2);
    assert_eq!(status.epoch, head.epoch);
    assert!((before..=after).contains(&status.server_ms), "the server's clock when it answered");
    assert_eq!(next_events(&mut live, 2).await, ["1", "2"], "then the events");
}

#[tokio::test]
async fn the_status_comes_again_as_the_heartbeat_with_a_fresh_head() {
    let server = TestServer::start_with(|s| s.heartbeat = Duration::from_millis(100)).await;
    let mut live = open(&server, "").await;
    assert_eq!(status_of(&next(&mut live).await).head, 0);
    store_members(&server, 1, 1).await;
    for _ in 0..100 {
        let m = next(&mut live).await;
        if m.event.is_none() {
            assert_eq!(m.id.as_deref(), Some("1"));
        } else if status_of(&m).head == 1 {
            return;
        }
    }
    panic!("no status with the new head");
}

#[tokio::test]
async fn a_resume_point_beyond_the_largest_position_is_refused() {
    let server = TestServer::start().await;
    store_members(&server, 1, 1).await;
    // Positions are signed 64-bit in the database: these were narrowed and replayed everything.
    for (last_event_id, query) in [
        (Some("9223372036854775808"), ""),
        (Some("18446744073709551615"), ""),
        (None, "?after=9223372036854775808"),
        (None, "?after=18446744073709551615"),
    ] {
        let mut req = server.http.get(server.url(&format!("/api/sync/live{query}")));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 400, "{last_event_id:?} {query}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
    }
    // The largest position itself is a place to wait at.
    let res = server
        .http
        .get(server.url("/api/sync/live"))
        .header("Last-Event-ID", shared::protocol::MAX_POSITION.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(status_of(&next(&mut messages(res)).await).head, 1);
}

#[tokio::test]
async fn events_another_process_writes_reach_live_subscribers() {
    let server = TestServer::start().await;
    let mut live = open(&server, "?after=0").await;
    status_of(&next(&mut live).await);

    // An import, or a second server on the same database: it appends without this server's writer.
    let other = server::store::connect(&server.database_url()).await.unwrap();
    let device = device_with("importer", member(1), vec![register("Anna"), sell_monthly()]);
    other.push_group(server.club, &[push_of(&device, member(1), 0)], now_ms(), Commit::EachPush).await.unwrap();
    assert_eq!(next_events(&mut live, 2).await, ["1", "2"]);

    // This server's own commits follow, with no gap and no repeat.
    store_members(&server, 2, 2).await;
    assert_eq!(next_events(&mut live, 1).await, ["3"]);
}
