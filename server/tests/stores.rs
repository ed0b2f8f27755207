//! The event-store contract, run against SQLite and — when DATABASE_URL names one — PostgreSQL.
//! CI sets DATABASE_URL to the machine's PostgreSQL, so both backends are proven there. (One club's
//! log here; tests/club_logs.rs has several.)

mod common;

use common::{backends::*, *};
use server::store::{self, Commit, EventStore};
use shared::{
    member::{Member, MemberCommand},
    protocol::BatchStatus,
};

#[tokio::test]
async fn appends_are_idempotent_and_conflicts_store_nothing() {
    each_backend("idempotent", async |store, _| {
        let anna = member(1);
        let device = device_with("desk-1", anna, vec![register("Anna"), sell_monthly(), check_in()]);
        let push = push_of(&device, anna, 0);
        let done = store.push_group(CLUB, &[push.clone(), push.clone()], T0, Commit::EachPush).await.unwrap();
        let (outcomes, appended) = (done.outcomes.clone(), done.appended());
        assert_eq!(appended.len(), 3, "the second copy in the same group stored nothing");
        let first = outcomes[0].as_ref().unwrap();
        let second = outcomes[1].as_ref().unwrap();
        assert_eq!(first[0].status, BatchStatus::Accepted);
        assert_eq!(second[0].events, first[0].events);
        let other = device_with("desk-2", anna, vec![register("Anna bis")]);
        let done = store.push_group(CLUB, &[push_of(&other, anna, 0)], T0, Commit::EachPush).await.unwrap();
        let (outcomes, appended) = (done.outcomes.clone(), done.appended());
        assert!(appended.is_empty());
        let conflict = outcomes[0].as_ref().unwrap();
        assert_eq!(conflict[0].status, BatchStatus::Rejected);
        assert_eq!(conflict[0].server_events.len(), 3);
        assert_eq!(conflict[0].head, 3);
        assert_eq!(store.head(CLUB).await.unwrap().position, 3);
        assert_eq!(store.pull(CLUB, 0, 10).await.unwrap(), first[0].events);
    })
    .await;
}

#[tokio::test]
async fn a_refused_push_in_a_group_leaves_the_others_stored() {
    each_backend("refused", async |store, _| {
        let ok = device_with("desk-1", member(1), vec![register("Anna")]);
        // A sale to a member never registered.
        let bad = device_with("desk-2", member(2), vec![register("Bob"), sell_monthly()]);
        let mut broken = push_of(&bad, member(2), 0);
        broken.batches[0].events.remove(0);
        broken.batches[0].events[0].version = 1;
        let done = store.push_group(CLUB, &[broken, push_of(&ok, member(1), 0)], T0, Commit::EachPush).await.unwrap();
        let (outcomes, appended) = (done.outcomes.clone(), done.appended());
        assert!(outcomes[0].is_err());
        assert!(outcomes[1].is_ok());
        assert_eq!(appended.len(), 1);
        assert_eq!(store.head(CLUB).await.unwrap().position, 1);
        assert_eq!(store.pull(CLUB, 0, 10).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_push_is_decided_on_what_other_writers_stored_since_this_one_last_saw_the_stream() {
    each_backend("other_writers", async |store, second| {
        let second = second.expect("two stores on one database");
        let anna = member(1);
        let mut a = device_with("desk-a", anna, vec![register("Anna"), sell_monthly()]);
        let first = store.push_group(CLUB, &[push_of(&a, anna, 0)], T0, Commit::EachPush).await.unwrap();
        a.apply(
            shared::replication::StoreOp::Confirm {
                stored: first.appended().into_iter().cloned().collect(),
                server_events: vec![],
            },
            T0,
        );
        // Another server (or an import) checks Anna in; this one has her cached at version 2.
        let mut b = common::desk("desk-b", 2);
        b.apply(shared::replication::StoreOp::Apply { events: store.pull(CLUB, 0, 10).await.unwrap(), cursor: 2 }, T0);
        execute(&mut b, anna, check_in(), T0 + 60 * 60_000);
        let by_b = second.push_group(CLUB, &[push_of(&b, anna, 2)], T0, Commit::EachPush).await.unwrap();
        assert_eq!(by_b.appended().len(), 1);
        // A desk that saw B's check-in checks her in again two minutes later: too soon, whoever cached what.
        let mut c = common::desk("desk-c", 3);
        c.apply(shared::replication::StoreOp::Apply { events: store.pull(CLUB, 0, 10).await.unwrap(), cursor: 3 }, T0);
        let stored = c.log[2].envelope.clone();
        assert_eq!(stored.event_type, "MemberCheckedIn");
        let mut forged = stored.clone();
        forged.id = shared::new_event_id(T0 + 62 * 60_000, [9; 10]);
        forged.version = 4;
        forged.position = None;
        forged.data["at_ms"] = (T0 + 62 * 60_000).into();
        forged.hlc.ms = T0 + 62 * 60_000;
        let push = shared::protocol::PushRequest {
            device: forged.device.clone(),
            batches: vec![shared::protocol::PushBatch { stream: anna, parent_version: 3, events: vec![forged] }],
            epoch: None,
        };
        let done = store.push_group(CLUB, &[push], T0, Commit::EachPush).await.unwrap();
        let refusal = done.outcomes[0].as_ref().unwrap_err();
        assert_eq!(refusal.code(), "rule_broken", "{refusal}");
        assert!(refusal.to_string().contains("already checked in"), "{refusal}");
    })
    .await;
}

#[tokio::test]
async fn a_conflict_answer_holds_a_bounded_page_of_the_servers_events_and_their_head() {
    each_backend("bounded_conflict", async |store, _| {
        let anna = member(1);
        let mut commands = vec![register("Anna"), sell_monthly()];
        commands.extend((0..148).map(|_| check_in()));
        let busy = device_with("desk-1", anna, commands);
        store.push_group(CLUB, &[push_of(&busy, anna, 0)], T0, Commit::EachPush).await.unwrap();
        let late = device_with("desk-2", anna, vec![register("Anna")]);
        let done = store.push_group(CLUB, &[push_of(&late, anna, 0)], T0, Commit::EachPush).await.unwrap();
        let result = &done.outcomes[0].as_ref().unwrap()[0];
        assert_eq!(result.status, BatchStatus::Rejected);
        assert_eq!(result.server_events.len(), shared::protocol::MAX_SERVER_EVENTS);
        assert_eq!(result.server_events[0].version, 1);
        assert_eq!(result.head, 150, "the rest comes by pull");
    })
    .await;
}

#[tokio::test]
async fn concurrent_writers_get_dense_positions_visible_in_order() {
    each_backend("concurrent", async |store, second| {
        let second = second.expect("two stores on one database");
        let mut tasks = vec![];
        for i in 0..24u128 {
            let target = if i % 2 == 0 { store.clone() } else { second.clone() };
            tasks.push(tokio::spawn(async move {
                let d = device_with(&format!("d{i}"), member(10 + i), vec![register("X"), sell_monthly(), check_in()]);
                target.push_group(CLUB, &[push_of(&d, member(10 + i), 0)], T0, Commit::EachPush).await.unwrap()
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let all = store.pull(CLUB, 0, 1_000).await.unwrap();
        assert_eq!(all.len(), 72);
        for (i, e) in all.iter().enumerate() {
            assert_eq!(e.position, Some(i as u64 + 1));
        }
        assert_eq!(store.head(CLUB).await.unwrap().position, 72);
    })
    .await;
}

#[tokio::test]
async fn an_export_imports_whole_into_an_empty_server_and_again_changes_nothing() {
    let (source, _a) = sqlite().await;
    for i in 1..=30u128 {
        let d = device_with(&format!("desk-{}", i % 3), member(i), vec![register("M"), sell_monthly(), check_in()]);
        source.push_group(CLUB, &[push_of(&d, member(i), 0)], T0, Commit::EachPush).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("club.jsonl");
    server::transfer::export(&*source, CLUB, Some(&file)).await.unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 90);

    let (target, _b) = sqlite().await;
    server::transfer::import(&*target, CLUB, &file).await.unwrap();
    server::transfer::import(&*target, CLUB, &file).await.unwrap();
    let copied = target.pull(CLUB, 0, 1_000).await.unwrap();
    assert_eq!(copied, source.pull(CLUB, 0, 1_000).await.unwrap(), "same events, same order, same positions");

    // A damaged file is refused whole.
    let damaged = dir.path().join("damaged.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&file).unwrap().lines().map(String::from).collect();
    lines[41] = lines[41].replace("MemberCheckedIn", "MemberTeleported");
    std::fs::write(&damaged, lines.join("\n")).unwrap();
    let (fresh, _c) = sqlite().await;
    let err = server::transfer::import(&*fresh, CLUB, &damaged).await.unwrap_err();
    assert!(err.to_string().contains("line 42"), "{err}");
    assert_eq!(fresh.head(CLUB).await.unwrap().position, 0);
}

#[tokio::test]
async fn a_log_put_back_from_a_backup_is_decided_on_its_own_events_not_on_what_a_server_had_cached() {
    let (store, dir) = sqlite().await;
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let s = member(1);
    let a = device_with("desk-a", s, vec![register("Sam"), sell_monthly(), MemberCommand::ArchiveMember]);
    store.push_group(CLUB, &[push_of(&a, s, 0)], T0, Commit::EachPush).await.unwrap();
    // This server now has Sam cached, archived, at version 3. The database is put back to a
    // backup taken before the archiving, and `faraday new-epoch` run, as docs/PROTOCOL.md says.
    {
        use sqlx::Connection;
        let mut db = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("DELETE FROM events WHERE position = 3").execute(&mut db).await.unwrap();
        sqlx::query("UPDATE club_logs SET position = 2").execute(&mut db).await.unwrap();
    }
    let restored = store::connect(&url).await.unwrap();
    restored.new_epoch(CLUB).await.unwrap();
    // Another server checks Sam in at version 3 of the restored log.
    let mut b = common::desk("desk-b", 2);
    b.apply(shared::replication::StoreOp::Apply { events: restored.pull(CLUB, 0, 10).await.unwrap(), cursor: 2 }, T0);
    execute(&mut b, s, check_in(), T0 + 60_000);
    assert_eq!(
        restored.push_group(CLUB, &[push_of(&b, s, 2)], T0, Commit::EachPush).await.unwrap().appended().len(),
        1
    );
    // Restoring Sam through the first server must be refused: in this log Sam was never archived.
    let mut c = common::desk("desk-c", 3);
    c.apply(shared::replication::StoreOp::Apply { events: restored.pull(CLUB, 0, 10).await.unwrap(), cursor: 3 }, T0);
    let mut forged = c.log[0].envelope.clone();
    forged.id = shared::new_event_id(T0, [8; 10]);
    forged.version = 4;
    forged.position = None;
    forged.event_type = "MemberRestored".into();
    forged.data = serde_json::json!({});
    let push = shared::protocol::PushRequest {
        device: forged.device.clone(),
        batches: vec![shared::protocol::PushBatch { stream: s, parent_version: 3, events: vec![forged] }],
        epoch: None,
    };
    let done = store.push_group(CLUB, &[push], T0, Commit::EachPush).await.unwrap();
    let refusal = done.outcomes[0].as_ref().unwrap_err();
    assert_eq!(refusal.code(), "rule_broken", "{refusal}");
    assert!(refusal.to_string().contains("not archived"), "{refusal}");
}

/// Every read model, as the store serves it: (stream → (version, state)), ((table, event) → (sort, value)).
async fn served_read_models(store: &dyn EventStore) -> shared::projection::ReadModels {
    use shared::{club::ClubSettings, projection::Projected};
    let mut models = shared::projection::ReadModels::default();
    for table in [Member::STREAMS, ClubSettings::STREAMS] {
        for row in store.read_streams(CLUB, table, None, 5_000).await.unwrap() {
            models.streams.insert(row.stream, (row.version, row.state));
        }
    }
    for table in Member::TABLES.iter().chain(ClubSettings::TABLES) {
        for row in store.read_rows(CLUB, table.name, 0, None, i64::MAX as u64, 5_000).await.unwrap() {
            models.rows.insert((table.name, row.id), (row.sort, row.value));
        }
    }
    models
}

/// Two desks: registrations and sales, then offline check-ins (on a monthly membership and on a
/// card, overridden, back-dated, voided), phone changes and club settings that collide.
async fn busy_club(store: &dyn EventStore) {
    use shared::{
        club::{ClubCommand, ClubSettings, Plan, Setting},
        member::MemberField,
        replication::StoreOp,
    };
    let (anna, bob, cleo, club) = (member(1), member(2), member(3), shared::club::stream(CLUB));
    let card = uuid::Uuid::from_u128(0xc4);
    let minute = |n: u64| T0 + n * 60_000;
    let mut a = device_with("desk-a", anna, vec![register("Anna"), sell_monthly()]);
    for (n, command) in [register("Bob"), sell(card, CARD_PLAN, card_of(10)), pay(card, 9_000)].into_iter().enumerate()
    {
        execute(&mut a, bob, command, minute(30 + n as u64));
    }
    execute(&mut a, cleo, register("Cleo"), minute(33));
    let setting = |s| ClubCommand::ChangeSetting(s);
    a.execute::<ClubSettings>(club, setting(Setting::DuplicateWindowMinutes(5)), minute(34)).unwrap();
    let mut first = push_of(&a, anna, 0);
    for stream in [bob, cleo, club] {
        first.batches.extend(push_of(&a, stream, 0).batches);
    }
    let done = store.push_group(CLUB, &[first], T0, Commit::EachPush).await.unwrap();
    let stored: Vec<_> = done.appended().into_iter().cloned().collect();
    assert_eq!(stored.len(), 7);
    a.apply(StoreOp::Confirm { stored: stored.clone(), server_events: vec![] }, T0);
    let mut b = common::desk("desk-b", 2);
    b.apply(StoreOp::Apply { events: stored, cursor: 7 }, T0);
    let phone = |value: &str| MemberCommand::ChangeMemberDetails { changes: vec![(MemberField::Phone, value.into())] };
    // Offline, both desks check Anna in (b's is a duplicate) and change her phone.
    execute(&mut a, anna, check_in(), minute(60));
    execute(&mut a, anna, phone("0470 11 11 11"), minute(61));
    execute(&mut b, anna, check_in(), minute(62));
    execute(&mut b, anna, phone("0470 22 22 22"), minute(63));
    // b checks Bob in on his card; the manager records the visit he forgot at 16:40.
    execute(&mut b, bob, check_in_on(card), minute(64));
    let forgot = MemberCommand::RecordPastCheckIn {
        at_ms: minute(40),
        on: today(),
        membership: card,
        reason: "the scanner was down".into(),
        rules: shared::member::EntryRules::default(),
    };
    execute(&mut b, bob, forgot, minute(65));
    // a lets Cleo in without a membership, then voids it: she was a visitor of the owner's.
    let override_entry =
        MemberCommand::OverrideEntry { on: today(), reason: "trial class".into(), rules: Default::default() };
    execute(&mut a, cleo, override_entry, minute(66));
    execute(&mut a, cleo, MemberCommand::VoidCheckIn { at_ms: minute(66), reason: "entered twice".into() }, minute(67));
    // Both change the duplicate window and add a plan.
    a.execute::<ClubSettings>(club, setting(Setting::DuplicateWindowMinutes(8)), minute(68)).unwrap();
    b.execute::<ClubSettings>(club, setting(Setting::DuplicateWindowMinutes(4)), minute(69)).unwrap();
    let plan = Plan { id: CARD_PLAN, terms: card_of(10), on_sale: true };
    b.execute::<ClubSettings>(club, setting(Setting::Plan(plan)), minute(70)).unwrap();

    let mut early = push_of(&a, anna, 2);
    early.batches.extend(push_of(&a, cleo, 1).batches);
    early.batches.extend(push_of(&a, club, 1).batches);
    let done = store.push_group(CLUB, &[early], minute(100), Commit::EachPush).await.unwrap();
    assert!(done.outcomes[0].as_ref().unwrap().iter().all(|r| r.status == BatchStatus::Accepted));
    let mut late = push_of(&b, anna, 2);
    late.batches.extend(push_of(&b, bob, 3).batches);
    late.batches.extend(push_of(&b, club, 1).batches);
    let done = store.push_group(CLUB, &[late], minute(100), Commit::EachPush).await.unwrap();
    let results = done.outcomes[0].as_ref().unwrap();
    assert_eq!(results[0].status, BatchStatus::Rebased, "b's check-in of Anna became a recorded duplicate");
    assert_eq!(results[1].status, BatchStatus::Accepted);
    assert_eq!(results[2].status, BatchStatus::Merged, "the club's settings merge setting by setting");
}

#[tokio::test]
async fn read_models_hold_the_fold_of_the_log_and_are_rebuilt_from_it_when_the_projections_change() {
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.path().join("t.db").display())];
    urls.extend(postgres("read_models").await);
    for url in &urls {
        let store = store::connect(url).await.unwrap();
        busy_club(store.as_ref()).await;
        let log = store.pull(CLUB, 0, 5_000).await.unwrap();
        let expected = shared::projection::ReadModels::fold(&log);
        assert_eq!(expected.streams.len(), 4, "Anna, Bob, Cleo and the club's settings");
        let rows = |table| expected.rows.keys().filter(|(t, _)| *t == table).count();
        assert_eq!(
            rows("check_ins"),
            4,
            "Anna's counted check-in, Bob's two on his card and Cleo's override; the duplicate has no row"
        );
        assert_eq!(rows("voids"), 1, "Cleo's override, voided");
        assert_eq!(served_read_models(store.as_ref()).await, expected, "{url}: written in the append transaction");

        // An app with other projections starts on this database: it rebuilds them from the log.
        execute_sql(url, "UPDATE log_head SET read_models = 'v0;members'").await;
        execute_sql(url, "UPDATE events SET read_tbl = NULL, read_sort = NULL").await;
        execute_sql(url, "UPDATE read_streams SET state = '{}'").await;
        drop(store);
        let store = store::connect(url).await.unwrap();
        assert_eq!(served_read_models(store.as_ref()).await, expected, "{url}: rebuilt from the log");
    }
    if let Some(url) = urls.get(1) {
        drop_database(url).await;
    }
}
