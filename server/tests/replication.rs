//! The shared replicator (the very logic the browser runs) driving real HTTP against the server:
//! one desk works offline, comes back, and another desk sees its events live.

mod common;

use common::*;
use eventsource_stream::Eventsource;
use futures::{stream::BoxStream, StreamExt};
use shared::{
    member::{Member, MemberCommand},
    protocol::{ErrorResponse, PullResponse, PushResponse},
    replication::{memory::MemoryDevice, Failure, Input, Output},
    EventEnvelope,
};
use std::time::Duration;

/// The adapter a native client would have: outputs become HTTP requests, answers become inputs.
struct Desk {
    device: MemoryDevice,
    live: Option<BoxStream<'static, EventEnvelope>>,
}

impl Desk {
    fn new(name: &str, seed: u64) -> Self {
        Self { device: MemoryDevice::new(name, seed), live: None }
    }

    async fn answer<T: serde::de::DeserializeOwned>(res: reqwest::Result<reqwest::Response>) -> Result<T, Failure> {
        let res = res.map_err(|e| Failure::Transient(e.to_string()))?;
        let status = res.status();
        if status.is_success() {
            res.json().await.map_err(|e| Failure::Transient(e.to_string()))
        } else if status.is_client_error() {
            let body: ErrorResponse = res.json().await.map_err(|e| Failure::Transient(e.to_string()))?;
            Err(Failure::Refused { status: status.as_u16(), error: body.error })
        } else {
            Err(Failure::Transient(format!("server answered {status}")))
        }
    }

    async fn drive(&mut self, server: &TestServer, online: bool) {
        while let Some(output) = self.device.replicator.poll_output() {
            let now = T0;
            let input = match output {
                Output::Store(op) => {
                    self.device.apply(op, now);
                    continue;
                }
                Output::LoadPending { limit } => {
                    let mut pending = self.device.pending();
                    pending.truncate(limit);
                    Input::Pending(pending)
                }
                Output::Push(request) if online => {
                    let res = server.http.post(server.url("/api/sync/push")).json(&request).send().await;
                    Input::PushAnswered(Self::answer::<PushResponse>(res).await)
                }
                Output::Pull { after, limit } if online => {
                    let res = server
                        .http
                        .get(server.url(&format!("/api/sync/pull?after={after}&limit={limit}")))
                        .send()
                        .await;
                    Input::PullAnswered(Self::answer::<PullResponse>(res).await)
                }
                Output::Push(_) => Input::PushAnswered(Err(Failure::Transient("offline".into()))),
                Output::Pull { .. } => Input::PullAnswered(Err(Failure::Transient("offline".into()))),
                Output::OpenLive { after } => {
                    let res =
                        server.http.get(server.url(&format!("/api/sync/live?after={after}"))).send().await.unwrap();
                    let stream = res
                        .bytes_stream()
                        .eventsource()
                        .map(|e| serde_json::from_str::<EventEnvelope>(&e.unwrap().data).unwrap());
                    self.live = Some(stream.boxed());
                    Input::LiveOpened
                }
                Output::CloseLive => {
                    self.live = None;
                    continue;
                }
            };
            self.device.replicator.handle_input(now, input);
        }
    }

    /// Feeds live events that arrive within `wait`.
    async fn listen(&mut self, server: &TestServer, wait: Duration) {
        let Some(live) = self.live.as_mut() else { panic!("live stream not open") };
        let mut got = vec![];
        while let Ok(Some(e)) = tokio::time::timeout(wait, live.next()).await {
            got.push(e);
        }
        for e in got {
            self.device.replicator.handle_input(T0, Input::LiveEvent(e));
        }
        self.drive(server, true).await;
    }
}

#[tokio::test]
async fn an_offline_desk_syncs_when_back_and_another_desk_sees_it_live() {
    let server = TestServer::start().await;
    let anna = member(1);
    let mut front = Desk::new("front-desk", 1);
    let mut office = Desk::new("office", 2);
    office.device.replicator.handle_input(T0, Input::Online);
    office.drive(&server, true).await;
    assert!(office.live.is_some(), "caught up, so the live stream is open");

    // In the basement: no network.
    front.device.replicator.handle_input(T0, Input::Offline);
    front.device.execute::<Member>(anna, register("Anna Peeters"), T0).unwrap();
    front.device.execute::<Member>(anna, MemberCommand::CheckIn, T0 + 1_000).unwrap();
    front.drive(&server, false).await;
    assert_eq!(front.device.pending().len(), 2);
    assert!(server.log().await.is_empty());

    // Signal again.
    front.device.replicator.handle_input(T0 + 60_000, Input::Online);
    front.drive(&server, true).await;
    assert!(front.device.pending().is_empty(), "pending drops to 0");
    assert_eq!(server.log().await.len(), 2);

    office.listen(&server, Duration::from_millis(500)).await;
    let (member, _) = office.device.load::<Member>(anna);
    assert_eq!(member.name, "Anna Peeters");
    assert_eq!(member.check_ins, 1);
    assert_eq!(office.device.replicator.cursor(), 2);
    assert_eq!(office.device.log.len(), 2, "each event applied once");

    // The office checks Anna in again too soon: decided locally, refused locally, nothing sent.
    let refused = office.device.execute::<Member>(anna, MemberCommand::CheckIn, T0 + 5 * 60_000);
    assert!(matches!(refused, Err(shared::member::MemberError::CheckInTooSoon { .. })));
}

#[tokio::test]
async fn two_offline_desks_that_collide_end_in_the_same_state() {
    let server = TestServer::start().await;
    let anna = member(1);
    let mut a = Desk::new("desk-a", 1);
    let mut b = Desk::new("desk-b", 2);
    a.device.replicator.handle_input(T0, Input::Online);
    a.device.execute::<Member>(anna, register("Anna"), T0).unwrap();
    a.drive(&server, true).await;
    b.device.replicator.handle_input(T0, Input::Online);
    b.drive(&server, true).await;
    assert_eq!(b.device.load::<Member>(anna).0.name, "Anna");

    for d in [&mut a, &mut b] {
        d.device.replicator.handle_input(T0, Input::Offline);
        d.device.execute::<Member>(anna, MemberCommand::CheckIn, T0 + 3_600_000).unwrap();
        d.drive(&server, false).await;
    }
    for d in [&mut a, &mut b] {
        d.device.replicator.handle_input(T0 + 3_700_000, Input::Online);
        d.drive(&server, true).await;
    }
    a.listen(&server, Duration::from_millis(300)).await;
    b.listen(&server, Duration::from_millis(300)).await;
    let log = server.log().await;
    assert_eq!(log.len(), 2, "one check-in won; the other was not appended");
    for d in [&a, &b] {
        assert!(d.device.pending().is_empty());
        assert_eq!(d.device.load::<Member>(anna).0.check_ins, 1);
    }
    let rejected =
        b.device.log.iter().filter(|e| matches!(e.state, shared::replication::memory::LocalState::Rejected(_))).count();
    assert_eq!(rejected, 1, "the losing desk keeps its check-in aside, marked not accepted");
}
