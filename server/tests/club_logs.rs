//! One log per club, at the store: positions, pulls, heads, epochs and read models are each
//! club's own, a push may touch only its club's streams and event ids, an export holds one club,
//! and the log kept before clubs existed can be given to a club. SQLite, and PostgreSQL when
//! DATABASE_URL names one.

mod common;

use common::{backends::*, *};
use server::{
    live::{LiveHub, LiveUpdate},
    store::{self, ClubRefusal, Commit, EventStore, PushRefusal, StoreError},
};
use shared::{
    protocol::{BatchStatus, PushBatch, PushRequest},
    ClubId, EventEnvelope, StreamId,
};
use std::{sync::Arc, time::Duration};

/// A member registered, sold a month and checked in by a desk of its own: a push of three events,
/// built on nothing.
fn new_member(desk: &str, n: u128) -> PushRequest {
    let device = device_with(desk, member(n), vec![register("M"), sell_monthly(), check_in()]);
    push_of(&device, member(n), 0)
}

async fn store_member(store: &dyn EventStore, club: ClubId, n: u128) -> Vec<EventEnvelope> {
    let done = store.push_group(club, &[new_member(&format!("desk-{n}"), n)], T0, Commit::EachPush).await.unwrap();
    assert!(done.outcomes[0].is_ok(), "{:?}", done.outcomes[0]);
    done.appended().into_iter().cloned().collect()
}

fn positions(events: &[EventEnvelope]) -> Vec<u64> {
    events.iter().map(|e| e.position.unwrap()).collect()
}

#[tokio::test]
async fn each_clubs_log_is_dense_from_one_with_its_own_head_and_epoch() {
    each_backend("club_dense", async |store, second| {
        let second = second.expect("two stores on one database");
        // Twelve members per club, pushed at once through two stores (two processes), the clubs
        // interleaved: neither club's positions show the other's.
        let mut tasks = vec![];
        for i in 0..24u128 {
            let target = if i % 3 == 0 { store.clone() } else { second.clone() };
            let club = if i % 2 == 0 { CLUB } else { OTHER_CLUB };
            tasks.push(tokio::spawn(async move {
                let push = new_member(&format!("d{i}"), 100 + i);
                target.push_group(club, &[push], T0, Commit::EachPush).await.unwrap()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().appended().len(), 3);
        }
        for club in [CLUB, OTHER_CLUB] {
            let log = store.pull(club, 0, 1_000).await.unwrap();
            assert_eq!(positions(&log), (1..=36).collect::<Vec<_>>(), "{club}: dense from 1");
            assert!(log.iter().all(|e| e.staff == Some(accounts::MANAGER)), "the author is stored and read back");
            assert_eq!(store.head(club).await.unwrap().position, 36);
        }
        let (a, b) = (store.head(CLUB).await.unwrap(), store.head(OTHER_CLUB).await.unwrap());
        assert_ne!(a.epoch, b.epoch, "each club's log has its own identity");
        let mut heads = store.heads().await.unwrap();
        heads.sort_by_key(|(club, _)| *club);
        assert_eq!(heads, vec![(CLUB, a), (OTHER_CLUB, b)]);

        // A new epoch for one club leaves the other's alone; a club never used starts empty.
        let renewed = store.new_epoch(CLUB).await.unwrap();
        assert_eq!(second.head(CLUB).await.unwrap(), store::LogHead { position: 36, epoch: renewed });
        assert_eq!(second.head(OTHER_CLUB).await.unwrap(), b);
        let unused = ClubId(uuid::Uuid::from_u128(0x0c1a));
        let fresh = store.head(unused).await.unwrap();
        assert_eq!(fresh.position, 0);
        assert_eq!(second.head(unused).await.unwrap(), fresh, "made once, then read by everyone");
        assert!(store.pull(unused, 0, 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn pulls_heads_and_read_models_of_a_club_never_show_another_clubs_events() {
    each_backend("club_reads", async |store, _| {
        let mut stored = vec![];
        for (club, n) in [(CLUB, 1), (OTHER_CLUB, 2), (CLUB, 3), (OTHER_CLUB, 4), (OTHER_CLUB, 5)] {
            stored.push((club, n, store_member(&*store, club, n).await));
        }
        for (club, other) in [(CLUB, OTHER_CLUB), (OTHER_CLUB, CLUB)] {
            let own: Vec<EventEnvelope> =
                stored.iter().filter(|(c, ..)| *c == club).flat_map(|(_, _, e)| e.clone()).collect();
            let members: Vec<StreamId> =
                stored.iter().filter(|(c, ..)| *c == club).map(|(_, n, _)| member(*n)).collect();
            let theirs: Vec<StreamId> =
                stored.iter().filter(|(c, ..)| *c == other).map(|(_, n, _)| member(*n)).collect();
            assert_eq!(store.pull(club, 0, 1_000).await.unwrap(), own, "{club}: its events, in its order");
            assert_eq!(store.head(club).await.unwrap().position, own.len() as u64);
            // Asking past its head finds nothing, whatever the other club holds there.
            assert!(store.pull(club, own.len() as u64, 1_000).await.unwrap().is_empty());

            let rows = store.read_streams(club, "members", None, 100).await.unwrap();
            assert_eq!(rows.iter().map(|r| r.stream).collect::<Vec<_>>(), members, "{club}: its members only");
            for stream in &members {
                assert!(store.read_stream(club, *stream).await.unwrap().is_some());
            }
            for stream in &theirs {
                assert_eq!(store.read_stream(club, *stream).await.unwrap(), None, "another club's member is not found");
            }
            let check_ins = store.read_rows(club, "check_ins", 0, None, i64::MAX as u64, 100).await.unwrap();
            assert_eq!(check_ins.len(), members.len(), "{club}: one counted check-in per member");
            assert!(check_ins.iter().all(|r| members.contains(&r.stream)));
        }
    })
    .await;
}

#[tokio::test]
async fn a_push_naming_another_clubs_stream_or_event_id_is_refused_whole_and_stores_nothing() {
    each_backend("club_refusals", async |store, _| {
        // The other club's member 2, and its registration.
        let theirs = store_member(&*store, OTHER_CLUB, 2).await;
        let their_registration = theirs[0].clone();
        let mut copied_id = their_registration.clone();
        copied_id.stream = member(3);
        copied_id.position = None;
        let mut retry = new_member("desk-2", 2);
        retry.batches[0].events.truncate(1);
        let mut with_own = new_member("desk-a", 4);
        with_own.batches.extend(new_member("desk-a", 2).batches);
        let cases: Vec<(&str, PushRequest, StreamId, Option<uuid::Uuid>)> = vec![
            ("a registration of its member", new_member("desk-a", 2), member(2), None),
            ("a copy of its push, retried", retry, member(2), None),
            (
                "its event id on a new stream",
                PushRequest {
                    device: copied_id.device.clone(),
                    batches: vec![PushBatch { stream: member(3), parent_version: 0, events: vec![copied_id] }],
                    epoch: None,
                },
                member(3),
                Some(their_registration.id),
            ),
            ("its stream beside a new one of ours", with_own, member(2), None),
        ];
        for (what, push, stream, event) in cases {
            // In a group with a push of the club's own, which is stored as usual.
            let own = new_member("desk-own", 10);
            let done = store.push_group(CLUB, &[push, own], T0, Commit::EachPush).await.unwrap();
            let refusal = done.outcomes[0].as_ref().expect_err(what);
            assert_eq!(refusal, &PushRefusal::Club(ClubRefusal::OtherClub { stream, event }), "{what}");
            assert_eq!(refusal.code(), "other_club");
            let own = &done.outcomes[1].as_ref().expect("the club's own push")[0];
            assert!(matches!(own.status, BatchStatus::Accepted), "{what}: {own:?}");
        }
        let ours = store.pull(CLUB, 0, 100).await.unwrap();
        assert_eq!(ours.len(), 3, "only the club's own member, stored once, retried three times");
        assert!(ours.iter().all(|e| e.stream == member(10)));
        assert_eq!(store.pull(OTHER_CLUB, 0, 100).await.unwrap(), theirs, "the other club's log is untouched");
        assert_eq!(store.read_stream(CLUB, member(4)).await.unwrap(), None);

        // An import is refused the same way, and rolled back whole.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("theirs.jsonl");
        server::transfer::export(&*store, OTHER_CLUB, Some(&file)).await.unwrap();
        let err = server::transfer::import(&*store, CLUB, &file).await.unwrap_err();
        assert!(err.to_string().contains("another club"), "{err}");
        assert_eq!(store.head(CLUB).await.unwrap().position, 3);
    })
    .await;
}

#[tokio::test]
async fn an_export_holds_one_clubs_log_and_imports_into_another_database_as_it_was() {
    let (store, _dir) = sqlite().await;
    for n in 1..=6u128 {
        store_member(&*store, if n % 3 == 0 { OTHER_CLUB } else { CLUB }, n).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("club.jsonl");
    server::transfer::export(&*store, CLUB, Some(&file)).await.unwrap();
    let lines: Vec<EventEnvelope> =
        std::fs::read_to_string(&file).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let ours = store.pull(CLUB, 0, 100).await.unwrap();
    assert_eq!(lines, ours, "the club's events, with its positions, nothing of the other club");
    assert_eq!(positions(&lines), (1..=12).collect::<Vec<_>>());

    let (target, _t) = sqlite().await;
    server::transfer::import(&*target, OTHER_CLUB, &file).await.unwrap();
    assert_eq!(target.pull(OTHER_CLUB, 0, 100).await.unwrap(), ours, "same events, same positions");
    assert!(target.pull(CLUB, 0, 100).await.unwrap().is_empty());
}

/// A database as the server left it before clubs existed (migrations up to 0004): two members'
/// events in the one global log, its head and epoch in `log_head`, read models to be rebuilt.
async fn pre_club_database(url: &str) -> (Vec<EventEnvelope>, shared::protocol::LogEpoch) {
    let (dir, sqlite) =
        if url.starts_with("sqlite") { ("migrations/sqlite", true) } else { ("migrations/postgres", false) };
    let mut migrator = sqlx::migrate::Migrator::new(std::path::Path::new(dir)).await.unwrap();
    migrator.migrations = migrator.migrations.iter().filter(|m| m.version <= 4).cloned().collect::<Vec<_>>().into();
    let mut events = vec![];
    for n in [1u128, 2] {
        let mut device = device_with("old-desk", member(n), vec![register("Old"), sell_monthly(), check_in()]);
        device.staff = None;
        let mut made = push_of(&device, member(n), 0).batches.remove(0).events;
        for e in &mut made {
            e.staff = None;
            e.position = Some(events.len() as u64 + 1);
            events.push(e.clone());
        }
    }
    let epoch = shared::protocol::LogEpoch(uuid::Uuid::now_v7());
    let rows = |q: &mut String| {
        for e in &events {
            let row = shared::projection::rows_of(e).into_iter().next();
            q.push_str(&format!(
                "INSERT INTO events (position, id, stream, version, event_type, schema_version, data, hlc_ms, hlc_c, \
                 device, recorded_ms, read_tbl, read_sort) VALUES ({}, '{}', '{}', {}, '{}', {}, '{}', {}, {}, '{}', 0, {}, {});",
                e.position.unwrap(),
                e.id,
                e.stream,
                e.version,
                e.event_type,
                e.schema_version,
                e.data,
                e.hlc.ms,
                e.hlc.c,
                e.device,
                row.as_ref().map_or("NULL".into(), |r| format!("'{}'", r.table)),
                row.as_ref().map_or("NULL".into(), |r| r.sort.to_string()),
            ));
        }
        // The read models are left to the rebuild at start (another signature).
        q.push_str(&format!(
            "UPDATE log_head SET position = {}, epoch = '{epoch}', read_models = 'old';",
            events.len()
        ));
    };
    let mut sql = String::new();
    rows(&mut sql);
    use sqlx::Connection;
    if sqlite {
        let options = url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap().create_if_missing(true);
        let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        migrator.run(&mut conn).await.unwrap();
        sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        migrator.run(&mut conn).await.unwrap();
        sqlx::raw_sql(&sql).execute(&mut conn).await.unwrap();
    }
    (events, epoch)
}

#[tokio::test]
async fn the_log_kept_before_clubs_existed_becomes_the_first_clubs_with_its_positions_and_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.path().join("old.db").display())];
    urls.extend(postgres("club_adopt").await);
    for url in &urls {
        let (old, epoch) = pre_club_database(url).await;
        let store = store::connect(url).await.unwrap();
        assert!(store.pull(CLUB, 0, 100).await.unwrap().is_empty(), "{url}: no club's until adopted");
        assert_eq!(store.heads().await.unwrap(), vec![], "the old log is no club's");
        // A club with events of its own cannot take it; the one made first can, even if its log
        // was opened (empty) already.
        store_member(&*store, OTHER_CLUB, 9).await;
        assert!(
            matches!(store.adopt_unowned_log(OTHER_CLUB).await, Err(StoreError::ClubNotEmpty(c)) if c == OTHER_CLUB)
        );
        assert_eq!(store.head(CLUB).await.unwrap().position, 0);
        let adopted = store.adopt_unowned_log(CLUB).await.unwrap();
        assert_eq!(adopted, Some(store::LogHead { position: 6, epoch }), "{url}");
        assert_eq!(store.adopt_unowned_log(CLUB).await.unwrap(), None, "nothing left to adopt");

        assert_eq!(store.pull(CLUB, 0, 100).await.unwrap(), old, "{url}: the same events at the same positions");
        assert_eq!(store.head(CLUB).await.unwrap(), store::LogHead { position: 6, epoch }, "devices go on");
        let members = store.read_streams(CLUB, "members", None, 100).await.unwrap();
        assert_eq!(members.iter().map(|r| r.stream).collect::<Vec<_>>(), vec![member(1), member(2)]);
        assert_eq!(store.read_rows(CLUB, "check_ins", 0, None, i64::MAX as u64, 100).await.unwrap().len(), 2);
        assert_eq!(store.pull(OTHER_CLUB, 0, 100).await.unwrap().len(), 3, "the other club keeps its own");
        // The club's log goes on after the adopted head.
        assert_eq!(positions(&store_member(&*store, CLUB, 3).await), [7, 8, 9]);
        if url.starts_with("postgres") {
            drop(store);
            drop_database(url).await;
        }
    }
}

#[tokio::test]
async fn live_updates_reach_only_the_clubs_subscribers_and_other_processes_commits_are_found_per_club() {
    let hub = LiveHub::new(16);
    let (mut ours, mut theirs) = (hub.subscribe(CLUB), hub.subscribe(OTHER_CLUB));
    let (store, dir) = sqlite().await;
    let event = store_member(&*store, CLUB, 1).await;
    hub.publish(CLUB, &event.iter().collect::<Vec<_>>());
    match ours.try_recv() {
        Ok(LiveUpdate::Events(batch)) => assert_eq!(batch.iter().map(|e| e.position).collect::<Vec<_>>(), [1, 2, 3]),
        other => panic!("the club's commit: {other:?}"),
    }
    assert!(theirs.try_recv().is_err(), "nothing of another club");
    assert_eq!(hub.subscribers(), 2);

    // Another process commits to the other club: the watch of every club's head finds it.
    let shutdown = tokio_util::sync::CancellationToken::new();
    let store: Arc<dyn EventStore> = store;
    tokio::spawn(server::live::watch_head(store, hub.clone(), Some(Duration::from_millis(20)), shutdown.clone()));
    let other = store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await.unwrap();
    store_member(&*other, OTHER_CLUB, 2).await;
    let heard = tokio::time::timeout(Duration::from_secs(5), theirs.recv()).await.expect("nudged");
    assert!(matches!(heard, Ok(LiveUpdate::Head(3))), "{heard:?}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(ours.try_recv().is_err(), "the club's head did not move past what was published");
    shutdown.cancel();
}
