//! Two clubs on one server, over real HTTP: a device signed in to one club pulls, reads and hears
//! live only its club's log (positions from 1, no gaps left by the other club), and its push into
//! the other club's stream is refused with 403 `other_club`, storing nothing.

mod common;

use common::{accounts::*, *};
use eventsource_stream::Eventsource;
use futures::StreamExt;
use shared::{member::MemberCommand, protocol::PullResponse, StaffId};
use std::time::Duration;

async fn pull(client: &reqwest::Client, server: &TestServer) -> PullResponse {
    let res = client.get(server.url("/api/sync/pull?after=0")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_device_sees_and_changes_only_its_clubs_log() {
    let server = TestServer::start().await;
    // The second club, its manager signed in on its own desk.
    let (_, staff) = make_club(&server.state, "Second club", 1).await;
    let (their_manager, their_email) =
        staff.into_iter().find(|(s, _)| s.0.as_u128() == MANAGER.0.as_u128() + 0x100).unwrap();
    let (status, cookie, body) = sign_in(&server.url(""), &their_email, PASSWORD, "desk-2").await;
    assert_eq!(status, 200, "{body}");
    let theirs = client_with(&cookie.unwrap());
    let their_push = |n: u128, commands: Vec<MemberCommand>| {
        let mut desk = desk("desk-2", n as u64);
        desk.staff = Some(StaffId(their_manager.0));
        for c in commands {
            desk.execute::<shared::member::Member>(member(n), c, T0).unwrap();
        }
        push_of(&desk, member(n), 0)
    };

    // This club listens live from the start.
    let live = server.http.get(server.url("/api/sync/live?after=0")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let mut live = live.bytes_stream().eventsource();

    // The second club registers Bea, and Cleo.
    for n in [2, 3] {
        let res = theirs.post(server.url("/api/sync/push")).json(&their_push(n, vec![register("Bea")])).send().await;
        assert_eq!(res.unwrap().status(), 200);
    }
    // This club can neither register over Bea, nor take the id of Cleo's registration.
    let mut copy = pull(&theirs, &server).await.events[1].clone();
    (copy.stream, copy.position, copy.device, copy.staff) =
        (member(4), None, shared::DeviceId::new("test-device").unwrap(), Some(MANAGER));
    let copied = shared::protocol::PushRequest {
        device: copy.device.clone(),
        batches: vec![shared::protocol::PushBatch { stream: member(4), parent_version: 0, events: vec![copy] }],
        epoch: None,
    };
    for (what, push) in [
        (
            "its own registration",
            push_of(&device_with("test-device", member(2), vec![register("Intruder")]), member(2), 0),
        ),
        ("an event id of the other club", copied),
    ] {
        let (status, body) = server.push(&push).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("other_club")), "{what}: {body}");
    }
    // Its own member is stored at its own position 1.
    let (status, body) =
        server.push(&push_of(&device_with("test-device", member(1), vec![register("Ann")]), member(1), 0)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"][0]["events"][0]["position"], 1);

    let ours = pull(&server.http, &server).await;
    assert_eq!(ours.events.iter().map(|e| (e.stream, e.position)).collect::<Vec<_>>(), [(member(1), Some(1))]);
    assert_eq!(ours.head, 1, "the other club's events are not counted");
    let them = pull(&theirs, &server).await;
    assert_eq!(them.events.iter().map(|e| e.position.unwrap()).collect::<Vec<_>>(), [1, 2]);
    assert_ne!(them.epoch, ours.epoch);

    // Reads: this club's members only; the other club's member is not found.
    let rows: serde_json::Value =
        server.http.get(server.url("/api/read/members")).send().await.unwrap().json().await.unwrap();
    assert_eq!(rows["rows"].as_array().unwrap().len(), 1, "{rows}");
    let bea = server.http.get(server.url(&format!("/api/read/members/{}", member(2).id))).send().await.unwrap();
    assert_eq!(bea.status(), 404);

    // Live: the status names this club's log, and only this club's event follows.
    let mut heard = vec![];
    while let Ok(Some(Ok(e))) = tokio::time::timeout(Duration::from_millis(500), live.next()).await {
        heard.push((e.event, e.id));
    }
    assert_eq!(
        heard.iter().filter(|(event, _)| event == "message").map(|(_, id)| id.as_str()).collect::<Vec<_>>(),
        ["1"]
    );
}
