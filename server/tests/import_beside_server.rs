//! `faraday import` into the database a running server uses: desks keep pushing, and what the
//! import stores reaches the server's live subscribers.

mod common;

use common::*;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use shared::{protocol::LIVE_STATUS_EVENT, EventEnvelope};
use std::{io::Write, time::Duration};

/// An export of `members` members with `per_member` events each, as `faraday export` writes it.
fn export_file(members: u128, per_member: usize) -> (tempfile::NamedTempFile, usize) {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    let mut position = 0;
    for n in 0..members {
        let stream = member(1_000_000 + n);
        let mut commands = vec![register(&format!("Imported {n}"))];
        // A membership sold, then check-ins on it.
        commands.extend([sell_monthly()].into_iter().chain(std::iter::repeat_with(check_in)).take(per_member - 1));
        let device = device_with(&format!("old-desk-{}", n % 5), stream, commands);
        for mut e in device.pending() {
            position += 1;
            e.position = Some(position);
            serde_json::to_writer(&mut file, &e).unwrap();
            file.write_all(b"\n").unwrap();
        }
    }
    file.flush().unwrap();
    (file, position as usize)
}

#[tokio::test]
async fn desks_keep_pushing_while_an_import_runs_beside_the_server_and_live_devices_get_the_import() {
    let server = TestServer::start().await;
    let (file, imported) = export_file(400, 50);

    // A device listening live, from the start.
    let res = server.http.get(server.url("/api/sync/live?after=0")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut live = res.bytes_stream().eventsource();

    // The import: another process on the same database file.
    let (url, club) = (server.database_url(), server.club);
    let import = tokio::spawn(async move {
        let store = server::store::connect(&url).await.unwrap();
        server::transfer::import(&*store, club, file.path()).await.unwrap()
    });

    // Meanwhile, desks check members in, one push after another.
    let mut pushed = 0;
    while !import.is_finished() {
        pushed += 1;
        let device = device_with(&format!("desk-{pushed}"), member(pushed), vec![register("Desk member")]);
        let (status, body) = server.push(&push_of(&device, member(pushed), 0)).await;
        assert_eq!(status, 200, "push {pushed} during the import: {body}");
    }
    let report = import.await.unwrap();
    assert_eq!(report.stored, imported);
    assert!(pushed > 1, "pushes ran while the import did");

    // Every event of the log reaches the live device, the imported ones included.
    let total = imported + pushed as usize;
    let mut seen = std::collections::BTreeSet::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen.len() < total {
        let message = tokio::time::timeout_at(deadline, live.next())
            .await
            .expect("every event arrives live")
            .expect("the stream stays open")
            .unwrap();
        if message.event == LIVE_STATUS_EVENT {
            continue;
        }
        let event: EventEnvelope = serde_json::from_str(&message.data).unwrap();
        seen.insert(event.position.unwrap());
    }
    assert_eq!(seen.len(), total);
    assert_eq!(*seen.last().unwrap(), total as u64, "positions are dense: nothing missed, nothing doubled");
    assert_eq!(server.log().await.len(), total);
}
