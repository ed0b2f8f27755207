//! Staff accounts for tests: a club with one account per role, and signed-in HTTP clients.

use server::{
    auth::{admin, password},
    AppState,
};
use shared::{ClubId, Role, StaffId};
use uuid::Uuid;

pub const PASSWORD: &str = "a test password";
pub const CLUB_NAME: &str = "Test club";

/// The test club's accounts: (id, e-mail, role). `MANAGER` makes the events of most tests.
pub const MANAGER: StaffId = StaffId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0a01));
pub const DESK: StaffId = StaffId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0a02));
pub const COACH: StaffId = StaffId(Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0a03));
pub const STAFF: [(StaffId, &str, Role); 3] = [
    (MANAGER, "manager@test.club", Role::Manager),
    (DESK, "desk@test.club", Role::FrontDesk),
    (COACH, "coach@test.club", Role::Coach),
];

pub fn email_of(staff: StaffId) -> &'static str {
    STAFF.iter().find(|(s, _, _)| *s == staff).map(|(_, e, _)| *e).expect("a test account")
}

/// Makes the club `name` with the accounts of [`STAFF`] (ids suffixed by `n` for a second club).
pub async fn make_club(state: &AppState, name: &str, n: u128) -> (ClubId, Vec<(StaffId, String)>) {
    let hash = password::hash(PASSWORD);
    let club = state.accounts.club(name, 1).await.expect("club made");
    let mut made = Vec::new();
    for (staff, email, role) in STAFF {
        let staff = StaffId(Uuid::from_u128(staff.0.as_u128() + n * 0x100));
        let email = if n == 0 { email.to_owned() } else { format!("{n}.{email}") };
        state.accounts.add_staff(staff, &email, "Test staff", &hash, 1).await.expect("account made");
        state.accounts.grant(staff, club, role).await.expect("role given");
        made.push((staff, email));
    }
    (club, made)
}

/// Signs `email` in on `device`: the status, the cookie to send back (`name=value`) and the body.
pub async fn sign_in(
    base: &str,
    email: &str,
    password: &str,
    device: &str,
) -> (u16, Option<String>, serde_json::Value) {
    sign_in_with(reqwest::Client::new(), base, email, password, device).await
}

/// The same, sending the device's cookie (`cookie`, as a browser does): the answer's cookie then
/// holds the device's sessions that stay, and the new one.
pub async fn sign_in_again(
    cookie: &str,
    base: &str,
    email: &str,
    device: &str,
) -> (u16, Option<String>, serde_json::Value) {
    sign_in_with(client_with(cookie), base, email, PASSWORD, device).await
}

async fn sign_in_with(
    client: reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
    device: &str,
) -> (u16, Option<String>, serde_json::Value) {
    let res = client
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": password, "device": device }))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let cookie = res
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (status, cookie, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A client that sends `cookie` with every request.
pub fn client_with(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

/// The demo club's accounts exist after `faraday demo` (used by the CLI test).
pub const DEMO_OWNER: &str = admin::DEMO_ACCOUNTS[0].0;
