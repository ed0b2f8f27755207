//! `faraday demo` on SQLite and — when DATABASE_URL names one — PostgreSQL: it fills an empty
//! club through the push path, the read models it leaves are a fold of its log, and it never fills
//! a club twice.

mod common;

use common::backends::{drop_database, postgres};
use server::{
    auth::{admin, Accounts},
    demo::{self, DemoArgs, DemoError},
    store::{self, EventStore},
};
use shared::{
    class::{Class, ClassEvent},
    member::MemberEvent,
    projection::ReadModels,
    ClubId, EventEnvelope, Role, StreamId,
};
use std::sync::Arc;

/// Runs `check` on the store and the accounts of a fresh SQLite database, then of a fresh
/// PostgreSQL one.
async fn each_backend(test: &str, check: impl AsyncFn(Arc<dyn EventStore>, Arc<dyn Accounts>)) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    check(store::connect(&url).await.unwrap(), server::auth::accounts::connect(&url).await.unwrap()).await;
    if let Some(url) = postgres(test).await {
        check(store::connect(&url).await.unwrap(), server::auth::accounts::connect(&url).await.unwrap()).await;
        drop_database(&url).await;
    }
}

const DEMO: DemoArgs = DemoArgs { members: 500, days: 30, if_no_accounts: false };

async fn log(store: &dyn EventStore, club: ClubId) -> Vec<EventEnvelope> {
    let mut log = vec![];
    loop {
        let page = store.pull(club, log.len() as u64, 5_000).await.unwrap();
        if page.is_empty() {
            return log;
        }
        log.extend(page);
    }
}

/// Every read model the store serves for `club`, as `ReadModels` holds them.
async fn served(store: &dyn EventStore, club: ClubId) -> ReadModels {
    let mut models = ReadModels::default();
    for table in ["members", "clubs", "classes"] {
        let mut after: Option<StreamId> = None;
        loop {
            let rows = store.read_streams(club, table, after, 1_000).await.unwrap();
            let Some(last) = rows.last() else { break };
            after = Some(last.stream);
            models.streams.extend(rows.into_iter().map(|r| (r.stream, (r.version, r.state))));
        }
    }
    for table in ["check_ins", "voids"] {
        let (mut from, mut after) = (0, None);
        loop {
            let rows = store.read_rows(club, table, from, after, i64::MAX as u64, 1_000).await.unwrap();
            let Some(last) = rows.last() else { break };
            (from, after) = (last.sort, Some(last.id));
            models.rows.extend(rows.into_iter().map(|r| ((table, r.id), (r.sort, r.value))));
        }
    }
    models
}

#[tokio::test]
async fn the_demo_fills_an_empty_club_whose_read_models_are_the_fold_of_its_log_and_refuses_a_second_time() {
    each_backend("demo_fills", async |store, accounts| {
        let made = demo::run(&*store, &*accounts, DEMO).await.unwrap().expect("no --if-no-accounts");
        let roles: Vec<Role> = made.accounts.iter().map(|(_, r, _)| *r).collect();
        assert_eq!(roles, vec![Role::Owner, Role::Manager, Role::FrontDesk, Role::Coach, Role::Coach, Role::Coach]);
        let log = log(&*store, made.club).await;
        assert_eq!(log.len() as u64, made.events);
        assert!(made.events > 5_000, "a living club: {} events", made.events);
        assert_eq!(store.head(made.club).await.unwrap().position, made.events);

        let expected = ReadModels::fold(&log);
        // Made by the demo's staff accounts; the coaches' are the attendance of the classes they
        // coach, as the push API would take them (`not_own_class`).
        let staff = accounts.staff_of(made.club).await.unwrap();
        assert!(log.iter().all(|e| e.staff.is_some_and(|s| staff.iter().any(|m| m.staff == s))));
        let coach_of = |class: uuid::Uuid| {
            let (_, state) = &expected.streams[&shared::class::stream(class)];
            shared::projection::state_from::<Class>(state).unwrap().details.map(|d| d.coach)
        };
        for coach in staff.iter().filter(|s| s.role == Role::Coach).map(|s| s.staff) {
            let by_the_coach: Vec<&EventEnvelope> = log.iter().filter(|e| e.staff == Some(coach)).collect();
            assert!(by_the_coach.len() > 100, "every coach takes attendance: {}", by_the_coach.len());
            for e in by_the_coach {
                let class = match e.stream.kind {
                    shared::StreamKind::Class => match e.decode::<ClassEvent>().unwrap() {
                        ClassEvent::AttendanceMarked { .. } | ClassEvent::AttendanceSubmitted { .. } => e.stream.id,
                        other => panic!("the coach made {other:?}"),
                    },
                    _ => match e.decode::<MemberEvent>() {
                        Ok(MemberEvent::ClassVisitUsed { class, .. }) => class,
                        other => panic!("the coach made {other:?}"),
                    },
                };
                assert_eq!(coach_of(class), Some(coach), "{e:?}: a class the coach coaches");
            }
        }

        let members = expected.streams.keys().filter(|s| s.kind == shared::StreamKind::Member).count();
        assert_eq!(members, 500);
        let classes = expected.streams.keys().filter(|s| s.kind == shared::StreamKind::Class).count();
        assert!(classes > 300, "{classes} classes: 70 a week, from 30 days ago to a week ahead");
        assert!(expected.rows.len() > 2_000, "{} check-in rows", expected.rows.len());
        assert_eq!(served(&*store, made.club).await, expected, "written in the append transactions");

        // Never twice: refused, and nothing is stored or changed.
        let again = demo::run(&*store, &*accounts, DEMO).await.unwrap_err();
        assert!(matches!(again, DemoError::NotEmpty { events } if events == made.events), "{again}");
        assert!(again.to_string().contains("fills only an empty club"), "{again}");
        assert_eq!(store.head(made.club).await.unwrap().position, made.events);
        let owner = accounts.account(admin::DEMO_ACCOUNTS[0].0).await.unwrap().unwrap();
        assert!(server::auth::password::verify(&made.accounts[0].2, &owner.password_hash), "passwords kept");

        // `--members 0`: only the accounts, made again with new passwords.
        let accounts_only = DemoArgs { members: 0, ..DEMO };
        let reset = demo::run(&*store, &*accounts, accounts_only).await.unwrap().unwrap();
        assert_eq!((reset.club, reset.events), (made.club, 0));
        assert_eq!(store.head(made.club).await.unwrap().position, made.events);
        // A first start (`--if-no-accounts`) does nothing once accounts exist.
        let first_start = DemoArgs { if_no_accounts: true, ..DEMO };
        assert!(demo::run(&*store, &*accounts, first_start).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn a_first_start_makes_the_accounts_and_a_living_club() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let (store, accounts) = (store::connect(&url).await.unwrap(), server::auth::accounts::connect(&url).await.unwrap());
    let first_start = DemoArgs { members: 40, days: 7, if_no_accounts: true };
    let made = demo::run(&*store, &*accounts, first_start).await.unwrap().expect("no accounts yet");
    assert_eq!(made.members, 40);
    let log = log(&*store, made.club).await;
    assert_eq!(log.len() as u64, made.events);
    let check_ins = ReadModels::fold(&log).rows.len();
    assert!(check_ins > 20, "{check_ins} check-ins in a week");
    assert_eq!(accounts.staff_count().await.unwrap(), 6, "one per role, and two more coaches");
}
