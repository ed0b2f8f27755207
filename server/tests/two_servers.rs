//! Several `faraday serve` processes on one PostgreSQL database (the set-up the README offers): an
//! event pushed through one reaches the live streams of the club's devices on the other at once.

mod common;

use common::{accounts::client_with, backends, member, push_of, register};
use futures::StreamExt;
use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

const PASSWORD: &str = "two servers password";

/// A `faraday serve` child, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn faraday(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_faraday"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("FARADAY_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("faraday runs")
}

async fn serve(url: &str) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_faraday"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        // An hour: only PostgreSQL's announcement of the commit can bring it within the test.
        .env("FARADAY_HEAD_POLL_MS", "3600000")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .expect("faraday serve starts");
    let served = Served { child, base: format!("http://127.0.0.1:{port}") };
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{}/api/health", served.base)).await.is_err() {
        assert!(Instant::now() < deadline, "faraday serve answers within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    served
}

#[tokio::test]
async fn a_push_through_one_server_reaches_live_devices_on_another_at_once() {
    let Some(url) = backends::postgres("two_servers").await else { return };
    let made = faraday(
        &url,
        &["user", "add", "--club", "North", "--email", "desk@north.test", "--name", "Desk", "--role", "front_desk"],
    );
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let (a, b) = (serve(&url).await, serve(&url).await);

    let (status, cookie_a, _) = common::accounts::sign_in(&a.base, "desk@north.test", PASSWORD, "desk-a").await;
    assert_eq!(status, 200);
    let (status, cookie_b, me) = common::accounts::sign_in(&b.base, "desk@north.test", PASSWORD, "desk-b").await;
    assert_eq!(status, 200);
    let staff: shared::StaffId = serde_json::from_value(me["staff"].clone()).unwrap();

    // Desk A listens on server A; desk B pushes through server B.
    let live = client_with(&cookie_a.unwrap()).get(format!("{}/api/sync/live?after=0", a.base)).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let mut events = eventsource_stream::EventStream::new(live.bytes_stream());
    let mut desk_b = common::desk("desk-b", 2);
    desk_b.staff = Some(staff);
    desk_b.execute::<shared::member::Member>(member(1), register("Anna"), common::T0).unwrap();
    let push = push_of(&desk_b, member(1), 0);
    let pushed =
        client_with(&cookie_b.unwrap()).post(format!("{}/api/sync/push", b.base)).json(&push).send().await.unwrap();
    assert_eq!(pushed.status(), 200);

    let arrived = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(message)) = events.next().await {
            if message.event == "message" || message.event.is_empty() {
                return Some(message.data);
            }
        }
        None
    })
    .await
    .expect("the event reaches server A's live stream (announced by NOTIFY, not found by a poll)")
    .expect("the stream stays open");
    let event: shared::EventEnvelope = serde_json::from_str(&arrived).unwrap();
    assert_eq!(event.id, push.batches[0].events[0].id);
    drop((a, b));
    backends::drop_database(&url).await;
}
