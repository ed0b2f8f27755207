//! Account administration from the command line: `faraday user …`, `faraday demo`, and the hint
//! a server with no accounts logs at start.

use super::{
    accounts::{normalise_email, AccountError, Accounts},
    password,
};
use crate::writer::now_ms;
use shared::{protocol::MAX_ACCOUNT_TEXT, ClubId, Role, StaffId};
use std::io::IsTerminal;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Weak(#[from] password::WeakPassword),
    #[error("{0}")]
    Invalid(String),
}

/// The password for an account: `FARADAY_PASSWORD`, or asked twice on a terminal. Never a default.
pub fn password_from_environment() -> Result<String, AdminError> {
    if let Ok(p) = std::env::var("FARADAY_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(AdminError::Invalid(
            "no password given: set FARADAY_PASSWORD, or run this in a terminal to be asked".to_owned(),
        ));
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| AdminError::Invalid(e.to_string()))?;
    let again = rpassword::prompt_password("Password again: ").map_err(|e| AdminError::Invalid(e.to_string()))?;
    if first != again {
        return Err(AdminError::Invalid("the two passwords differ".to_owned()));
    }
    Ok(first)
}

fn check_text(what: &str, value: &str) -> Result<String, AdminError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > MAX_ACCOUNT_TEXT {
        return Err(AdminError::Invalid(format!("{what} must be 1 to {MAX_ACCOUNT_TEXT} characters")));
    }
    Ok(value.to_owned())
}

/// Makes an account with `role` in the club named `club` (made if new). Returns the club and staff.
pub async fn add_user(
    accounts: &dyn Accounts,
    email: &str,
    name: &str,
    club: &str,
    role: Role,
    password: &str,
) -> Result<(ClubId, StaffId), AdminError> {
    let email = normalise_email(&check_text("the e-mail address", email)?);
    if !email.contains('@') {
        return Err(AdminError::Invalid(format!("{email:?} is not an e-mail address")));
    }
    let name = check_text("the name", name)?;
    let club_name = check_text("the club's name", club)?;
    password::check_new(password)?;
    let hash = hash_blocking(password).await;
    let club = accounts.club(&club_name, now_ms()).await?;
    let staff = StaffId(uuid::Uuid::now_v7());
    accounts.add_staff(staff, &email, &name, &hash, now_ms()).await?;
    accounts.grant(staff, club, role).await?;
    Ok((club, staff))
}

async fn hash_blocking(password: &str) -> String {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || password::hash(&password)).await.expect("hashing does not panic")
}

/// Gives the account of `email` a new password and ends its sessions.
pub async fn set_password(accounts: &dyn Accounts, email: &str, password: &str) -> Result<(), AdminError> {
    let account = find(accounts, email).await?;
    password::check_new(password)?;
    accounts.set_password(account, &hash_blocking(password).await).await?;
    accounts.revoke_all(account, now_ms()).await?;
    Ok(())
}

/// The staff id of the account signing in with `email`.
pub async fn find(accounts: &dyn Accounts, email: &str) -> Result<StaffId, AdminError> {
    let email = normalise_email(email);
    accounts
        .account(&email)
        .await?
        .map(|a| a.staff)
        .ok_or_else(|| AdminError::Invalid(format!("there is no account for {email}")))
}

/// The demo club's accounts: (e-mail, name, role).
pub const DEMO_ACCOUNTS: [(&str, &str, Role); 4] = [
    ("owner@demo.club", "Olivia Owner", Role::Owner),
    ("manager@demo.club", "Max Manager", Role::Manager),
    ("desk@demo.club", "Dana Desk", Role::FrontDesk),
    ("coach@demo.club", "Colin Coach", Role::Coach),
];
pub const DEMO_CLUB: &str = "Demo club";

/// Makes (or resets) the demo club's accounts; returns (e-mail, role, password) to print.
pub async fn demo(accounts: &dyn Accounts) -> Result<(ClubId, Vec<(String, Role, String)>), AdminError> {
    let fixed = std::env::var("FARADAY_DEMO_PASSWORD").ok();
    let club = accounts.club(DEMO_CLUB, now_ms()).await?;
    let mut printed = Vec::new();
    for (email, name, role) in DEMO_ACCOUNTS {
        // Random unless asked for: a demo server reachable on a network has no known password.
        let password = fixed.clone().unwrap_or_else(|| super::token::new_token()[..20].to_owned());
        password::check_new(&password)?;
        match add_user(accounts, email, name, DEMO_CLUB, role, &password).await {
            Ok(_) => {}
            Err(AdminError::Account(AccountError::EmailTaken(_))) => {
                let staff = find(accounts, email).await?;
                accounts.grant(staff, club, role).await?;
                set_password(accounts, email, &password).await?;
            }
            Err(e) => return Err(e),
        }
        printed.push((email.to_owned(), role, password));
    }
    Ok((club, printed))
}

/// What a server with no accounts logs at start: nobody can sign in until the owner exists.
pub const FIRST_RUN_HINT: &str =
    "No staff account exists yet, so nobody can sign in. Create the owner's account with\n\
    \n    faraday user add --owner --club \"Your club\" --email you@example.com --name \"Your Name\"\n\
    \n(it asks for the password; or set FARADAY_PASSWORD), or run `faraday demo` for a demo club's accounts.";
