//! Sign-in, sessions and the guards every request passes, over real HTTP.

mod common;

use common::{accounts::*, device_with, member, push_of, register, TestServer};
use shared::{member::MemberCommand, protocol::PushRequest};

async fn status_and_body(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn nothing_of_the_api_answers_without_a_session_but_sign_in_and_health() {
    let server = TestServer::start().await;
    let anonymous = reqwest::Client::new();
    let push = serde_json::json!({"device": "desk-1", "batches": []});
    for (method, path) in [
        ("GET", "/api/sync/pull?after=0"),
        ("GET", "/api/sync/live"),
        ("GET", "/api/read/members"),
        ("GET", "/api/read/check_ins?from=0"),
        ("POST", "/api/sync/push"),
        ("GET", "/api/auth/session"),
        ("GET", "/api/auth/staff"),
        ("POST", "/api/auth/logout"),
    ] {
        let req = anonymous.request(method.parse().unwrap(), server.url(path));
        let req = if method == "POST" { req.json(&push) } else { req };
        let (status, body) = status_and_body(req.send().await.unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("not_signed_in")), "{method} {path}");
    }
    let health = anonymous.get(server.url("/api/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    // The app shell holds no personal data: it is served to anyone (its data comes after sign-in).
    assert_eq!(anonymous.get(server.url("/login")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_forged_or_foreign_cookie_signs_nobody_in() {
    let server = TestServer::start().await;
    for cookie in [
        format!("faraday_session={}", "a".repeat(64)),
        "faraday_session=not-a-token".to_owned(),
        format!("faraday_session={}", "a".repeat(64 * 100)),
        format!("other={}", "b".repeat(64)),
    ] {
        let (status, body) =
            status_and_body(client_with(&cookie).get(server.url("/api/sync/pull?after=0")).send().await.unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (401, Some("not_signed_in")), "{cookie:.40}");
    }
}

#[tokio::test]
async fn signing_in_gives_an_http_only_same_site_session_for_the_device() {
    let server = TestServer::start().await;
    let res = reqwest::Client::new()
        .post(server.url("/api/auth/login"))
        .json(&serde_json::json!({"email": " Desk@Test.Club ", "password": PASSWORD, "device": "desk-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let set = res.headers()[reqwest::header::SET_COOKIE].to_str().unwrap().to_owned();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"), "{set}");
    assert!(!set.contains("Secure"), "no TLS here: {set}");
    let info: serde_json::Value = res.json().await.unwrap();
    assert_eq!(info["role"], "front_desk");
    assert_eq!(info["club_name"], CLUB_NAME);
    let cookie = set.split(';').next().unwrap();
    let (status, who) =
        status_and_body(client_with(cookie).get(server.url("/api/auth/session")).send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(who.as_array().unwrap().len(), 1);
    assert_eq!(who[0]["email"], "desk@test.club");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_are_refused_alike() {
    let server = TestServer::start().await;
    let base = server.url("");
    let (wrong, _, wrong_body) = sign_in(&base, "desk@test.club", "not the password", "desk-1").await;
    let (unknown, _, unknown_body) = sign_in(&base, "nobody@test.club", PASSWORD, "desk-1").await;
    assert_eq!((wrong, unknown), (401, 401));
    assert_eq!(wrong_body, unknown_body, "nothing tells whether the account exists");
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account() {
    let server = TestServer::start_with(|s| s.auth.limiter = Default::default()).await;
    let base = server.url("");
    for _ in 0..5 {
        assert_eq!(sign_in(&base, "coach@test.club", "guess guess guess", "d").await.0, 401);
    }
    let (status, _, body) = sign_in(&base, "coach@test.club", PASSWORD, "d").await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("too_many_attempts")));
    // Another account is not locked by it.
    assert_eq!(sign_in(&base, "desk@test.club", PASSWORD, "d").await.0, 200);
}

#[tokio::test]
async fn parallel_guesses_count_before_their_passwords_are_checked() {
    let server = TestServer::start_with(|s| s.auth.limiter = Default::default()).await;
    let base = server.url("");
    let guesses = (0..12).map(|_| sign_in(&base, "coach@test.club", "guess guess guess", "d"));
    let answers: Vec<u16> = futures::future::join_all(guesses).await.into_iter().map(|(s, _, _)| s).collect();
    assert_eq!(answers.iter().filter(|s| **s == 401).count(), 5, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 7, "{answers:?}");
}

#[tokio::test]
async fn two_staff_share_a_device_and_signing_one_out_keeps_the_other() {
    let server = TestServer::start().await;
    let (_, first, _) = sign_in(&server.url(""), "desk@test.club", PASSWORD, "desk-1").await;
    let first = first.unwrap();
    // The second sign-in sends the device's cookie, as a browser does.
    let (status, both, _) = sign_in_again(&first, &server.url(""), "manager@test.club", "desk-1").await;
    assert_eq!(status, 200);
    let both = both.unwrap();
    let who: Vec<serde_json::Value> =
        client_with(&both).get(server.url("/api/auth/session")).send().await.unwrap().json().await.unwrap();
    assert_eq!(who.len(), 2);

    let res = client_with(&both)
        .post(server.url("/api/auth/logout"))
        .json(&serde_json::json!({"staff": DESK}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let left = res.headers()[reqwest::header::SET_COOKIE].to_str().unwrap().split(';').next().unwrap().to_owned();
    let who: Vec<serde_json::Value> =
        client_with(&left).get(server.url("/api/auth/session")).send().await.unwrap().json().await.unwrap();
    assert_eq!(who.len(), 1);
    assert_eq!(who[0]["email"], "manager@test.club");
    // The signed-out session is revoked on the server, not only dropped from the cookie.
    let (status, _) =
        status_and_body(client_with(&first).get(server.url("/api/auth/session")).send().await.unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_session_ends_when_it_expires_or_its_account_is_revoked() {
    let server =
        TestServer::start_with(|state| state.auth.session_lifetime = std::time::Duration::from_millis(300)).await;
    let (_, cookie, _) = sign_in(&server.url(""), "desk@test.club", PASSWORD, "desk-1").await;
    let client = client_with(&cookie.unwrap());
    assert_eq!(client.get(server.url("/api/auth/session")).send().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(client.get(server.url("/api/auth/session")).send().await.unwrap().status(), 401);

    let server = TestServer::start().await;
    let (_, cookie, _) = sign_in(&server.url(""), "desk@test.club", PASSWORD, "desk-1").await;
    let client = client_with(&cookie.unwrap());
    server.state.accounts.revoke_all(DESK, server::writer::now_ms()).await.unwrap();
    assert_eq!(client.get(server.url("/api/auth/session")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn a_device_signed_in_to_one_club_cannot_sign_in_to_another() {
    let server = TestServer::start().await;
    common::accounts::make_club(&server.state, "Other club", 1).await;
    let (_, cookie, _) = sign_in(&server.url(""), "desk@test.club", PASSWORD, "desk-1").await;
    let (status, _, body) = sign_in_again(&cookie.unwrap(), &server.url(""), "1.desk@test.club", "desk-1").await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("other_club")));
}

/// A push that the session does not allow: refused with 403 and its code, nothing stored.
#[tokio::test]
async fn pushes_are_refused_unless_their_author_and_device_are_the_session() {
    let server = TestServer::start().await;
    let stream = member(1);
    let signed_in = |email: &'static str| {
        let base = server.url("");
        async move { client_with(&sign_in(&base, email, PASSWORD, "desk-1").await.1.unwrap()) }
    };
    let by = |staff: Option<shared::StaffId>, device: &str, command: MemberCommand| -> PushRequest {
        let mut d = common::desk(device, 7);
        d.staff = staff;
        d.execute::<shared::member::Member>(stream, command, common::T0).unwrap();
        push_of(&d, stream, 0)
    };
    // A resolution only the server writes, pushed as if offered back after a restore: it changes
    // the member's e-mail, so it needs what a change needs.
    let forged_merge = |staff: shared::StaffId| -> PushRequest {
        use shared::{
            aggregate::DomainEvent,
            member::{MemberEvent, MemberField},
        };
        let mut push = by(Some(staff), "desk-1", register("Ann"));
        let e = &mut push.batches[0].events[0];
        let merged = MemberEvent::MemberDetailsMerged {
            field: MemberField::Email,
            value: "attacker@evil.example".into(),
            overwritten: String::new(),
        };
        e.event_type = merged.event_type().to_owned();
        e.data = merged.encode();
        push
    };
    let cases: Vec<(&str, &'static str, PushRequest, &str)> = vec![
        ("no author", "desk@test.club", by(None, "desk-1", register("Ann")), "staff_mismatch"),
        ("another author", "desk@test.club", by(Some(MANAGER), "desk-1", register("Ann")), "staff_mismatch"),
        ("another device", "desk@test.club", by(Some(DESK), "desk-2", register("Ann")), "device_mismatch"),
        ("a coach registering", "coach@test.club", by(Some(COACH), "desk-1", register("Ann")), "forbidden"),
        ("a coach's forged merge of a member's e-mail", "coach@test.club", forged_merge(COACH), "forbidden"),
    ];
    for (case, email, push, code) in cases {
        let client = signed_in(email).await;
        let (status, body) =
            status_and_body(client.post(server.url("/api/sync/push")).json(&push).send().await.unwrap()).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some(code)), "{case}: {body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{case}");
        if code != "device_mismatch" {
            // The refused change is named, so the device can set it aside rather than retry it (a
            // push from another device is refused whole, before any event).
            assert_eq!(body["error"]["event"], serde_json::json!(push.batches[0].events[0].id), "{case}");
        }
    }
    let reader = signed_in("manager@test.club").await;
    let page: serde_json::Value =
        reader.get(server.url("/api/sync/pull?after=0")).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 0, "nothing was stored");

    // The same push by its real author is taken.
    let client = signed_in("desk@test.club").await;
    let ok = client.post(server.url("/api/sync/push")).json(&by(Some(DESK), "desk-1", register("Ann"))).send().await;
    assert_eq!(ok.unwrap().status(), 200);
    let _ = device_with;
}

#[tokio::test]
async fn requests_for_another_host_or_from_another_origin_are_refused() {
    let server = TestServer::start().await;
    let (_, cookie, _) = sign_in(&server.url(""), "desk@test.club", PASSWORD, "desk-1").await;
    let client = client_with(&cookie.unwrap());
    // DNS rebinding: a page of evil.example resolved to this server.
    let res =
        client.get(server.url("/api/sync/pull?after=0")).header("host", "evil.example:3000").send().await.unwrap();
    let (status, body) = status_and_body(res).await;
    assert_eq!((status, body["error"]["code"].as_str()), (421, Some("wrong_host")));
    let page = reqwest::Client::new().get(server.url("/")).header("host", "evil.example").send().await.unwrap();
    assert_eq!(page.status(), 421);

    for (name, value) in [("origin", "https://evil.example"), ("sec-fetch-site", "cross-site")] {
        let res = client
            .post(server.url("/api/sync/push"))
            .header(name, value)
            .json(&serde_json::json!({"device": "desk-1", "batches": []}))
            .send()
            .await
            .unwrap();
        let (status, body) = status_and_body(res).await;
        assert_eq!((status, body["error"]["code"].as_str()), (403, Some("cross_origin")), "{name}");
    }
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let server = TestServer::start().await;
    let anonymous = reqwest::Client::new();
    for path in ["/", "/login", "/api/health", "/api/sync/pull", "/api/nothing-here", "/manifest.webmanifest"] {
        let res = anonymous.get(server.url(path)).send().await.unwrap();
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert!(h.get("access-control-allow-origin").is_none(), "no CORS: {path}");
    }
    // The page's inline hydration bootstrap is allowed by its hash, nothing else inline.
    let page = anonymous.get(server.url("/")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("'sha256-"), "{csp}");
}

#[tokio::test]
async fn a_live_stream_ends_when_its_last_session_signs_out() {
    use futures::StreamExt;
    let server = TestServer::start().await;
    let (_, cookie, me) = sign_in(&server.url(""), "desk@test.club", PASSWORD, "desk-1").await;
    let client = client_with(&cookie.unwrap());
    let live = client.get(server.url("/api/sync/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let mut body = live.bytes_stream();
    assert!(body.next().await.is_some(), "the stream greets");
    let signed_out =
        client.post(server.url("/api/auth/logout")).json(&serde_json::json!({"staff": me["staff"]})).send();
    assert_eq!(signed_out.await.unwrap().status(), 204);
    // Whatever the club stores after, this stream does not carry it: it ends.
    server.push(&push_of(&device_with("desk-9", member(5), vec![register("Secret")]), member(5), 0)).await;
    let rest = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Some(Ok(chunk)) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
        seen
    })
    .await
    .expect("the stream ends");
    assert!(!rest.contains("Secret"), "{rest}");
}

#[tokio::test]
async fn a_browser_signing_in_as_a_new_device_ends_the_sessions_of_its_old_one() {
    let server = TestServer::start().await;
    let (_, old, _) = sign_in(&server.url(""), "desk@test.club", PASSWORD, "desk-old").await;
    let old = old.unwrap();
    // Its store was deleted, its cookie kept: it signs in under a new device id.
    let (status, new, _) = sign_in_again(&old, &server.url(""), "desk@test.club", "desk-new").await;
    assert_eq!(status, 200);
    let who: Vec<serde_json::Value> =
        client_with(&new.unwrap()).get(server.url("/api/auth/session")).send().await.unwrap().json().await.unwrap();
    assert_eq!(who.len(), 1, "only the new device's session is in the cookie");
    assert_eq!(client_with(&old).get(server.url("/api/auth/session")).send().await.unwrap().status(), 401);
}
