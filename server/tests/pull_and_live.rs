//! Pull pages and the live stream over real HTTP.

mod common;

use common::*;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use shared::EventEnvelope;
use std::time::Duration;

async fn store_members(server: &TestServer, n: u128) {
    for i in 1..=n {
        let device = device_with(&format!("desk-{i}"), member(i), vec![register(&format!("M{i}")), sell_monthly()]);
        let (status, body) = server.push(&push_of(&device, member(i), 0)).await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn pull_returns_events_after_the_cursor_in_pages() {
    let server = TestServer::start().await;
    store_members(&server, 5).await;
    let first = server.pull(0, 4).await;
    assert_eq!(first.events.iter().map(|e| e.position.unwrap()).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert_eq!(first.next, 4);
    assert!(first.has_more);
    let rest = server.pull(first.next, 100).await;
    assert_eq!(rest.events.len(), 6);
    assert_eq!(rest.next, 10);
    assert!(!rest.has_more);
    let nothing = server.pull(10, 100).await;
    assert!(nothing.events.is_empty());
    assert_eq!(nothing.next, 10, "the cursor stays where it was");
    assert!(!nothing.has_more);
}

#[tokio::test]
async fn a_bad_pull_query_is_refused_with_a_clear_error() {
    let server = TestServer::start().await;
    for (query, code) in [
        ("after=-1", "invalid_query"),
        ("after=abc", "invalid_query"),
        ("limit=0", "bad_request"),
        ("limit=999999", "bad_request"),
        ("since=3", "invalid_query"),
        // A `+` in a query is a space; `%2B` is the sign, which no position or limit has.
        ("after=%2B1", "invalid_query"),
        ("after=+1", "invalid_query"),
        ("after=", "invalid_query"),
        ("limit=%2B5", "invalid_query"),
        ("after=1&after=2", "invalid_query"),
    ] {
        let res = server.http.get(server.url(&format!("/api/sync/pull?{query}"))).send().await.unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{query}: {body}");
    }
}

async fn live_events(
    server: &TestServer,
    query: &str,
    last_event_id: Option<&str>,
) -> impl futures::Stream<Item = (String, EventEnvelope)> {
    let mut req = server.http.get(server.url(&format!("/api/sync/live{query}")));
    if let Some(id) = last_event_id {
        req = req.header("Last-Event-ID", id);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    // Status messages (first, then as the heartbeat) are tested in live_stream.rs.
    res.bytes_stream().eventsource().filter_map(|e| {
        let e = e.expect("well-formed SSE");
        let event = (e.event == "message").then(|| (e.id.clone(), serde_json::from_str(&e.data).expect("an envelope")));
        futures::future::ready(event)
    })
}

async fn next_n(
    stream: &mut (impl futures::Stream<Item = (String, EventEnvelope)> + Unpin),
    n: usize,
) -> Vec<(String, EventEnvelope)> {
    tokio::time::timeout(Duration::from_secs(5), stream.take(n).collect::<Vec<_>>())
        .await
        .expect("events arrive in time")
}

#[tokio::test]
async fn the_live_stream_sends_each_stored_event_with_its_position_as_id() {
    let server = TestServer::start().await;
    let mut live = Box::pin(live_events(&server, "", None).await);
    store_members(&server, 2).await;
    let got = next_n(&mut live, 4).await;
    let ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3", "4"]);
    assert_eq!(got[2].1.event_type, "MemberRegistered");
    assert_eq!(got[2].1.position, Some(3));
}

#[tokio::test]
async fn the_live_stream_resumes_after_last_event_id_or_after() {
    let server = TestServer::start().await;
    store_members(&server, 3).await;
    let mut resumed = Box::pin(live_events(&server, "", Some("4")).await);
    let got = next_n(&mut resumed, 2).await;
    assert_eq!(got.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["5", "6"]);
    let mut from_query = Box::pin(live_events(&server, "?after=5", None).await);
    assert_eq!(next_n(&mut from_query, 1).await[0].0, "6");
    // Then it follows new commits, with no gap and no repeat.
    store_members(&server, 4).await; // pushes members 1..=4 again: 1..=3 are retries, 4 is new
    assert_eq!(next_n(&mut resumed, 2).await.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), ["7", "8"]);
    assert_eq!(next_n(&mut from_query, 2).await.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(), ["7", "8"]);
}

#[tokio::test]
async fn an_idle_live_stream_sends_its_status_as_heartbeat() {
    let server = TestServer::start_with(|s| s.heartbeat = Duration::from_millis(100)).await;
    let res = server.http.get(server.url("/api/sync/live")).send().await.unwrap();
    let mut messages = res.bytes_stream().eventsource();
    for _ in 0..3 {
        let e = tokio::time::timeout(Duration::from_secs(5), messages.next()).await.unwrap().unwrap().unwrap();
        assert_eq!(e.event, "status", "an event EventSource sees, unlike a comment: {e:?}");
    }
}

#[tokio::test]
async fn a_malformed_last_event_id_is_refused() {
    let server = TestServer::start().await;
    let res = server.http.get(server.url("/api/sync/live")).header("Last-Event-ID", "soon").send().await.unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
}

#[tokio::test]
async fn a_live_resume_point_is_plain_digits_given_once_and_unknown_parameters_are_refused() {
    let server = TestServer::start().await;
    store_members(&server, 3).await;
    #[rustfmt::skip]
    let table: &[(&str, &[&str], &str)] = &[
        ("?after=%2B1", &[], "invalid_query"),
        ("?after=0x1", &[], "invalid_query"),
        ("?after=0&x=1", &[], "invalid_query"),
        ("?since=0", &[], "invalid_query"),
        ("?after=1&after=2", &[], "invalid_query"),
        ("", &["+1"], "bad_request"),
        ("", &["-1"], "bad_request"),
        ("", &["1.0"], "bad_request"),
        ("", &["1e3"], "bad_request"),
        ("", &[""], "bad_request"),
        ("", &["1", "2"], "bad_request"),
        ("", &["1", "1"], "bad_request"),
    ];
    for (query, last_event_ids, code) in table {
        let mut req = server.http.get(server.url(&format!("/api/sync/live{query}")));
        for id in *last_event_ids {
            req = req.header("Last-Event-ID", *id);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 400, "{query} {last_event_ids:?}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], *code, "{query} {last_event_ids:?}: {body}");
    }
    // Plain digits, once, are a place to resume from.
    let res = server.http.get(server.url("/api/sync/live")).header("Last-Event-ID", "1").send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = server.http.get(server.url("/api/sync/live?after=1")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
