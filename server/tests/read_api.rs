//! `GET /api/read/…`: the read models the append transactions keep, over real HTTP, the same rows
//! the shared projections fold from the log; bad reads refused with a JSON error.

mod common;

use common::*;
use serde_json::Value;
use shared::{
    projection::ReadModels,
    protocol::{EventRowsPage, StreamRow, StreamRowsPage},
};

async fn get(server: &TestServer, path: &str) -> (u16, Value) {
    let res = server.http.get(server.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_served_read_models_are_the_shared_fold_of_the_log_page_by_page() {
    let server = TestServer::start().await;
    for n in 1..=3 {
        let mut desk = device_with(&format!("desk-{n}"), member(n), vec![register(&format!("Member {n}"))]);
        execute(&mut desk, member(n), sell_monthly(), T0 + 500);
        execute(&mut desk, member(n), check_in(), T0 + n as u64 * 1_000);
        let (status, body) = server.push(&push_of(&desk, member(n), 0)).await;
        assert_eq!(status, 200, "{body}");
    }
    let expected = ReadModels::fold(&server.log().await);

    let mut served = ReadModels::default();
    let mut path = "/api/read/members?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let (status, body) = get(&server, &path).await;
        assert_eq!(status, 200, "{body}");
        let page: StreamRowsPage = serde_json::from_value(body).unwrap();
        pages += 1;
        for row in page.rows {
            served.streams.insert(row.stream, (row.version, row.state));
        }
        match page.next {
            Some(after) => path = format!("/api/read/members?limit=2&after={after}"),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    let (status, body) = get(&server, &format!("/api/read/check_ins?from={}&to={}", T0, T0 + 10_000)).await;
    assert_eq!(status, 200, "{body}");
    let page: EventRowsPage = serde_json::from_value(body).unwrap();
    for row in page.rows {
        served.rows.insert(("check_ins", row.id), (row.sort, row.value));
    }
    assert_eq!(served, expected);

    let (status, body) = get(&server, &format!("/api/read/members/{}", member(2).id)).await;
    assert_eq!(status, 200, "{body}");
    let one: StreamRow = serde_json::from_value(body).unwrap();
    assert_eq!(one.state["name"], "Member 2");
    assert_eq!(one.version, 3);
}

#[tokio::test]
async fn bad_reads_are_refused_with_a_json_error() {
    let server = TestServer::start().await;
    for (path, status, code) in [
        ("/api/read/payments", 404, "not_found"),
        ("/api/read/members/not-a-uuid", 400, "bad_request"),
        // One row, one address: other spellings of the same uuid are refused, not served.
        ("/api/read/members/0190A000-0000-7000-8000-000000000001", 400, "bad_request"),
        ("/api/read/members/0190a000000070008000000000000001", 400, "bad_request"),
        ("/api/read/members/urn:uuid:0190a000-0000-7000-8000-000000000001", 400, "bad_request"),
        ("/api/read/members/0190a000-0000-7000-8000-000000000001", 404, "not_found"),
        ("/api/read/check_ins/0190a000-0000-7000-8000-000000000001", 404, "not_found"),
        ("/api/read/members?after=class-0190a000-0000-7000-8000-000000000001", 400, "bad_request"),
        ("/api/read/members?from=3", 400, "bad_request"),
        ("/api/read/check_ins?after=x", 400, "bad_request"),
        ("/api/read/check_ins?from=9&to=3", 400, "bad_request"),
        ("/api/read/check_ins?from=99999999999999999999", 400, "invalid_query"),
        ("/api/read/members?limit=0", 400, "bad_request"),
        ("/api/read/members?colour=red", 400, "invalid_query"),
    ] {
        let (got, body) = get(&server, path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{path}: {body}");
    }
}
