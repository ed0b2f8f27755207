//! `faraday import` into the database a running server uses: desks keep pushing, and what the
//! import stores reaches the server's live subscribers.

mod common;

use common::*;
use eventsource_stream::Eventsource;
use futures::StreamExt;
use server::store::{
    read_models::{EventRow, StreamRow},
    Commit, EventStore, GroupOutcome, LogHead, StoreError,
};
use shared::{
    protocol::{LogEpoch, PushRequest, LIVE_STATUS_EVENT, MAX_EVENTS_PER_PUSH},
    ClubId, EventEnvelope, StreamId,
};
use std::{
    io::Write,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};
use tokio::sync::Notify;

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

/// The server's database as the import process opens it, with a door the test holds: the import
/// waits before storing its second chunk until the test opens it. Without it, whether a desk's
/// push falls between two chunks depends on the machine's load; with it, it always does.
struct HeldAfterTheFirstChunk {
    store: Arc<dyn EventStore>,
    chunks: AtomicUsize,
    first_chunk_stored: Notify,
    open: Notify,
}

#[async_trait::async_trait]
impl EventStore for HeldAfterTheFirstChunk {
    async fn push_group(
        &self,
        club: ClubId,
        pushes: &[PushRequest],
        now_ms: u64,
        commit: Commit,
    ) -> Result<GroupOutcome, StoreError> {
        let chunk = self.chunks.fetch_add(1, Ordering::SeqCst);
        if chunk == 1 {
            self.open.notified().await;
        }
        let done = self.store.push_group(club, pushes, now_ms, commit).await;
        if chunk == 0 {
            self.first_chunk_stored.notify_one();
        }
        done
    }
    async fn pull(&self, club: ClubId, after: u64, limit: u32) -> Result<Vec<EventEnvelope>, StoreError> {
        self.store.pull(club, after, limit).await
    }
    async fn head(&self, club: ClubId) -> Result<LogHead, StoreError> {
        self.store.head(club).await
    }
    async fn heads(&self) -> Result<Vec<(ClubId, LogHead)>, StoreError> {
        self.store.heads().await
    }
    async fn read_streams(
        &self,
        club: ClubId,
        table: &str,
        after: Option<StreamId>,
        limit: u32,
    ) -> Result<Vec<StreamRow>, StoreError> {
        self.store.read_streams(club, table, after, limit).await
    }
    async fn read_stream(&self, club: ClubId, stream: StreamId) -> Result<Option<StreamRow>, StoreError> {
        self.store.read_stream(club, stream).await
    }
    async fn read_rows(
        &self,
        club: ClubId,
        table: &str,
        from: u64,
        after: Option<uuid::Uuid>,
        to: u64,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        self.store.read_rows(club, table, from, after, to, limit).await
    }
    async fn new_epoch(&self, club: ClubId) -> Result<LogEpoch, StoreError> {
        self.store.new_epoch(club).await
    }
    async fn adopt_unowned_log(&self, club: ClubId) -> Result<Option<LogHead>, StoreError> {
        self.store.adopt_unowned_log(club).await
    }
}

#[tokio::test]
async fn desks_keep_pushing_while_an_import_runs_beside_the_server_and_live_devices_get_the_import() {
    let server = TestServer::start().await;
    let (file, imported) = export_file(400, 50);
    assert!(imported > 2 * MAX_EVENTS_PER_PUSH, "the import stores several chunks");

    // A device listening live, from the start.
    let res = server.http.get(server.url("/api/sync/live?after=0")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut live = res.bytes_stream().eventsource();

    // The import: another process on the same database file.
    let store = Arc::new(HeldAfterTheFirstChunk {
        store: server::store::connect(&server.database_url()).await.unwrap(),
        chunks: AtomicUsize::new(0),
        first_chunk_stored: Notify::new(),
        open: Notify::new(),
    });
    let club = server.club;
    let import = tokio::spawn({
        let store = store.clone();
        async move { server::transfer::import(&*store, club, file.path()).await.unwrap() }
    });

    let mut pushed = 0;
    let mut push_one = async || {
        pushed += 1;
        let device = device_with(&format!("desk-{pushed}"), member(pushed), vec![register("Desk member")]);
        let (status, body) = server.push(&push_of(&device, member(pushed), 0)).await;
        assert_eq!(status, 200, "push {pushed} during the import: {body}");
        body["results"][0]["events"][0]["position"].as_u64().expect("the push's position")
    };

    // Between two chunks of the import, desks check members in and are answered at once.
    store.first_chunk_stored.notified().await;
    let mut between_chunks = vec![];
    for _ in 0..5 {
        between_chunks.push(push_one().await);
    }
    assert!(!import.is_finished(), "the import is still running");
    let first_chunk = MAX_EVENTS_PER_PUSH as u64;
    assert_eq!(between_chunks, (first_chunk + 1..=first_chunk + 5).collect::<Vec<_>>(), "stored between the chunks");

    // Then the import goes on, and the desks with it.
    store.open.notify_one();
    while !import.is_finished() {
        push_one().await;
    }
    let report = import.await.unwrap();
    assert_eq!(report.stored, imported);

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
