//! Clubs, accounts, roles and sessions as stored, on SQLite and — when DATABASE_URL names one —
//! PostgreSQL (CI sets it).

mod common;

use common::backends::{drop_database, postgres};
use server::{
    auth::{accounts::AccountError, admin, Accounts},
    store,
};
use shared::{DeviceId, Role, StaffId};
use std::sync::Arc;
use uuid::Uuid;

/// Runs `check` on the accounts of a fresh SQLite database, then of a fresh PostgreSQL one.
async fn each_backend(test: &str, check: impl AsyncFn(Arc<dyn Accounts>)) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    store::connect(&url).await.unwrap();
    check(server::auth::accounts::connect(&url).await.unwrap()).await;
    if let Some(url) = postgres(test).await {
        store::connect(&url).await.unwrap();
        check(server::auth::accounts::connect(&url).await.unwrap()).await;
        drop_database(&url).await;
    }
}

#[tokio::test]
async fn an_account_signs_in_to_the_clubs_it_has_a_role_in() {
    each_backend("accounts_roles", async |accounts| {
        let (club, staff) =
            admin::add_user(&*accounts, " Ann@Club.Test ", "Ann", "North", Role::Owner, "a long password")
                .await
                .unwrap();
        let south = accounts.club("South", 1).await.unwrap();
        accounts.grant(staff, south, Role::Coach).await.unwrap();
        let account = accounts.account("ann@club.test").await.unwrap().expect("found by its normalised address");
        assert_eq!(account.staff, staff);
        assert!(server::auth::password::verify("a long password", &account.password_hash));
        let mut roles = accounts.roles(staff).await.unwrap();
        roles.sort_by_key(|(c, _)| *c == south);
        assert_eq!(roles, vec![(club, Role::Owner), (south, Role::Coach)]);
        assert_eq!(accounts.club("North", 2).await.unwrap(), club, "a club is found again by its name");
        let again =
            admin::add_user(&*accounts, "ann@club.test", "Ann 2", "North", Role::Coach, "another password").await;
        assert!(matches!(again, Err(admin::AdminError::Account(AccountError::EmailTaken(_)))));
        for (email, name, password) in
            [("not an address", "X", "long enough pw"), ("x@y", "", "long enough pw"), ("x@y", "X", "short")]
        {
            assert!(admin::add_user(&*accounts, email, name, "North", Role::Coach, password).await.is_err(), "{email}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_session_works_until_it_expires_is_revoked_or_its_account_is_disabled() {
    each_backend("accounts_sessions", async |accounts| {
        let (club, staff) =
            admin::add_user(&*accounts, "bo@club.test", "Bo", "North", Role::FrontDesk, "a long password")
                .await
                .unwrap();
        let device = DeviceId::new("desk-1").unwrap();
        for (hash, expires) in [("h1", 1_000), ("h2", 5_000), ("h3", 5_000)] {
            accounts.open_session(hash, staff, club, &device, 0, expires).await.unwrap();
        }
        let hashes: Vec<String> = ["h1", "h2", "h3", "unknown"].map(str::to_owned).to_vec();
        let live = accounts.sessions(&hashes, 2_000).await.unwrap();
        assert_eq!(live.iter().map(|s| s.token_hash.as_str()).collect::<Vec<_>>(), vec!["h2", "h3"]);
        assert_eq!((live[0].role, live[0].club, &live[0].device), (Role::FrontDesk, club, &device));

        accounts.revoke("h2", 2_000).await.unwrap();
        assert_eq!(accounts.sessions(&hashes, 2_000).await.unwrap().len(), 1);
        // A changed role counts at once.
        accounts.grant(staff, club, Role::Coach).await.unwrap();
        assert_eq!(accounts.sessions(&hashes, 2_000).await.unwrap()[0].role, Role::Coach);
        accounts.set_disabled(staff, Some(2_000)).await.unwrap();
        assert!(accounts.sessions(&hashes, 2_000).await.unwrap().is_empty());
        accounts.set_disabled(staff, None).await.unwrap();
        assert_eq!(accounts.revoke_all(staff, 3_000).await.unwrap(), 2, "h1 (expired) and h3");
        assert!(accounts.sessions(&hashes, 3_000).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn the_demo_makes_one_account_per_role_and_can_be_run_again() {
    each_backend("accounts_demo", async |accounts| {
        assert_eq!(accounts.staff_count().await.unwrap(), 0);
        let (club, first) = admin::demo(&*accounts).await.unwrap();
        let (again, second) = admin::demo(&*accounts).await.unwrap();
        assert_eq!(club, again);
        assert_eq!(accounts.staff_count().await.unwrap(), 4);
        let roles: Vec<Role> = first.iter().map(|(_, r, _)| *r).collect();
        assert_eq!(roles, vec![Role::Owner, Role::Manager, Role::FrontDesk, Role::Coach]);
        // Random passwords, new each time (unless FARADAY_DEMO_PASSWORD is set), and the printed one works.
        if std::env::var("FARADAY_DEMO_PASSWORD").is_err() {
            assert_ne!(first[0].2, second[0].2);
        }
        let owner = accounts.account(&second[0].0).await.unwrap().unwrap();
        assert!(server::auth::password::verify(&second[0].2, &owner.password_hash));
        let staff = accounts.staff_of(club).await.unwrap();
        assert_eq!(staff.len(), 4);
        assert!(staff.iter().all(|s| s.staff != StaffId(Uuid::nil())));
    })
    .await;
}
