//! The shared replicator (the very logic the browser runs) driving real HTTP against the server:
//! one desk works offline, comes back, and another desk sees its events live.

mod common;

use common::*;
use eventsource_stream::Eventsource;
use futures::{stream::BoxStream, StreamExt};
use shared::{
    member::{Member, MemberCommand, MemberField},
    protocol::{ErrorResponse, LiveStatus, PullResponse, PushResponse, LIVE_STATUS_EVENT},
    replication::{memory::MemoryDevice, Failure, Input, Output},
    EventEnvelope,
};
use std::time::Duration;

/// The adapter a native client would have: outputs become HTTP requests, answers become inputs.
struct Desk {
    device: MemoryDevice,
    live: Option<BoxStream<'static, Input>>,
}

impl Desk {
    fn new(name: &str, seed: u64) -> Self {
        Self { device: common::desk(name, seed), live: None }
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
                    let client = server.client_for(self.device.device.as_str()).await;
                    let res = client.post(server.url("/api/sync/push")).json(&request).send().await;
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
                    let stream = res.bytes_stream().eventsource().map(|e| {
                        let e = e.unwrap();
                        if e.event == LIVE_STATUS_EVENT {
                            Input::LiveStatus(serde_json::from_str::<LiveStatus>(&e.data).unwrap())
                        } else {
                            Input::LiveEvent(serde_json::from_str::<EventEnvelope>(&e.data).unwrap())
                        }
                    });
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
        for input in got {
            self.device.replicator.handle_input(T0, input);
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
    execute(&mut front.device, anna, register("Anna Peeters"), T0);
    execute(&mut front.device, anna, sell_monthly(), T0 + 500);
    execute(&mut front.device, anna, check_in(), T0 + 1_000);
    front.drive(&server, false).await;
    assert_eq!(front.device.pending().len(), 3);
    assert!(server.log().await.is_empty());

    // Signal again.
    front.device.replicator.handle_input(T0 + 60_000, Input::Online);
    front.drive(&server, true).await;
    assert!(front.device.pending().is_empty(), "pending drops to 0");
    assert_eq!(server.log().await.len(), 3);

    office.listen(&server, Duration::from_millis(500)).await;
    let (member, _) = office.device.load::<Member>(anna);
    assert_eq!(member.name, "Anna Peeters");
    assert_eq!((member.check_ins, member.memberships.len()), (1, 1));
    assert_eq!(office.device.replicator.cursor(), 3);
    assert_eq!(office.device.log.len(), 3, "each event applied once");

    // The office checks Anna in again too soon: decided locally, refused locally, nothing sent.
    let refused = office.device.execute::<Member>(anna, dated(check_in(), T0 + 5 * 60_000), T0 + 5 * 60_000);
    assert!(matches!(refused, Err(shared::member::MemberError::CheckInTooSoon { .. })));
}

#[tokio::test]
async fn two_offline_desks_that_collide_end_in_the_same_state() {
    let server = TestServer::start().await;
    let anna = member(1);
    let mut a = Desk::new("desk-a", 1);
    let mut b = Desk::new("desk-b", 2);
    a.device.replicator.handle_input(T0, Input::Online);
    execute(&mut a.device, anna, register("Anna"), T0);
    execute(&mut a.device, anna, sell_monthly(), T0);
    a.drive(&server, true).await;
    b.device.replicator.handle_input(T0, Input::Online);
    b.drive(&server, true).await;
    assert_eq!(b.device.load::<Member>(anna).0.name, "Anna");

    for d in [&mut a, &mut b] {
        d.device.replicator.handle_input(T0, Input::Offline);
        execute(&mut d.device, anna, check_in(), T0 + 3_600_000);
        d.drive(&server, false).await;
    }
    for d in [&mut a, &mut b] {
        d.device.replicator.handle_input(T0 + 3_700_000, Input::Online);
        d.drive(&server, true).await;
    }
    a.listen(&server, Duration::from_millis(300)).await;
    b.listen(&server, Duration::from_millis(300)).await;
    let log = server.log().await;
    assert_eq!(log.len(), 4, "one check-in, and one recorded duplicate");
    assert_eq!(log[3].event_type, "MemberCheckInNotCounted");
    for d in [&a, &b] {
        assert!(d.device.pending().is_empty());
        assert!(d.device.inbox().is_empty());
        assert_eq!(d.device.load::<Member>(anna).0.check_ins, 1);
        assert_eq!(d.device.log.len(), 4, "both devices hold the same log");
    }
    assert!(b.device.log.iter().any(|e| e.corrected), "the desk whose check-in did not count is told");
}

/// The two scenarios at the top of issue 10, over HTTP: nothing a desk did offline is lost.
#[tokio::test]
async fn a_check_in_and_changes_made_on_two_offline_desks_all_stand() {
    let server = TestServer::start().await;
    let bjorn = member(1);
    let mut a = Desk::new("desk-a", 1);
    let mut b = Desk::new("desk-b", 2);
    a.device.replicator.handle_input(T0, Input::Online);
    execute(&mut a.device, bjorn, register("Björn"), T0);
    execute(&mut a.device, bjorn, sell_monthly(), T0);
    a.drive(&server, true).await;
    b.device.replicator.handle_input(T0, Input::Online);
    b.drive(&server, true).await;
    let change = |field, value: &str| MemberCommand::ChangeMemberDetails { changes: vec![(field, value.to_owned())] };

    for d in [&mut a, &mut b] {
        d.device.replicator.handle_input(T0, Input::Offline);
    }
    a.device.execute::<Member>(bjorn, change(MemberField::Email, "bjorn@x.se"), T0 + 60_000).unwrap();
    a.device.execute::<Member>(bjorn, change(MemberField::Phone, "0470 11 22 33"), T0 + 61_000).unwrap();
    execute(&mut b.device, bjorn, check_in(), T0 + 62_000);
    b.device.execute::<Member>(bjorn, change(MemberField::Name, "Björn Berg"), T0 + 63_000).unwrap();
    for d in [&mut a, &mut b] {
        d.device.replicator.handle_input(T0 + 120_000, Input::Online);
        d.drive(&server, true).await;
    }
    a.listen(&server, Duration::from_millis(300)).await;
    b.listen(&server, Duration::from_millis(300)).await;
    for d in [&a, &b] {
        let (member, _) = d.device.load::<Member>(bjorn);
        assert_eq!(member.check_ins, 1, "{}: the check-in is kept", d.device.device);
        assert_eq!(
            (member.name.as_str(), member.email.as_str(), member.phone.as_str()),
            ("Björn Berg", "bjorn@x.se", "0470 11 22 33")
        );
        assert!(d.device.inbox().is_empty() && d.device.pending().is_empty());
    }
}

#[tokio::test]
async fn a_server_restored_from_an_older_export_gets_back_what_the_desks_still_hold() {
    let old = TestServer::start().await;
    let mut desk = Desk::new("front-desk", 1);
    desk.device.replicator.handle_input(T0, Input::Online);
    for n in 1..=3 {
        desk.device.execute::<Member>(member(n), register(&format!("Member {n}")), T0).unwrap();
    }
    desk.drive(&old, true).await;
    let backup = tempfile::NamedTempFile::new().unwrap();
    server::transfer::export(&*old.state.store, old.club, Some(backup.path())).await.unwrap();
    for n in 4..=6 {
        desk.device.execute::<Member>(member(n), register(&format!("Member {n}")), T0).unwrap();
    }
    desk.drive(&old, true).await;
    desk.listen(&old, Duration::from_millis(300)).await;
    assert_eq!(desk.device.replicator.cursor(), 6);

    // The server is rebuilt from the backup (a new database, so a new epoch) and takes new work.
    let restored = TestServer::start().await;
    server::transfer::import(&*restored.state.store, restored.club, backup.path()).await.unwrap();
    let mut other = Desk::new("office", 2);
    other.device.replicator.handle_input(T0, Input::Online);
    other.device.execute::<Member>(member(7), register("Member 7"), T0).unwrap();
    other.drive(&restored, true).await;
    assert_eq!(restored.log().await.len(), 4);

    // The desk reconnects: to the restored server, as if it were the same one.
    desk.live = None;
    desk.device.replicator.handle_input(T0, Input::Offline);
    desk.device.replicator.handle_input(T0, Input::Online);
    desk.drive(&restored, true).await;
    let log = restored.log().await;
    assert_eq!(log.len(), 7, "the three events the backup lacked are back, once each");
    let names: std::collections::BTreeSet<String> =
        (1..=7).map(|n| desk.device.load::<Member>(member(n)).0.name).collect();
    assert_eq!(names.len(), 7, "the desk has every member, the office's new one included");
    assert!(desk.device.pending().is_empty());
    assert!(desk.device.replicator.status().log_replaced_ms.is_some(), "staff are told");
    desk.listen(&restored, Duration::from_millis(300)).await;
    assert_eq!(desk.device.replicator.cursor(), 7, "its cursor is of the restored log");
    assert_eq!(desk.device.log.len(), 7, "nothing doubled");
}

/// The convergence simulation against the real server over HTTP (the in-memory one in
/// `shared/src/replication/tests.rs` runs thousands of seeds; this one checks the same promises end
/// to end): desks go offline and back, register, check in, change details, archive, restore and work
/// through their inbox; at the end every desk folds every member into the server's read model, the
/// log has each id once and contiguous versions, and nothing any desk held vanished.
#[tokio::test]
async fn random_desks_over_http_end_with_the_servers_read_models_and_lose_nothing() {
    use shared::replication::memory::LocalState;
    let seeds: u64 = std::env::var("FARADAY_HTTP_SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    let mut resolved_by_server = 0;
    for seed in 1..=seeds {
        let server = TestServer::start().await;
        let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut desks: Vec<Desk> = (0..3).map(|i| Desk::new(&format!("desk-{i}"), seed * 10 + i)).collect();
        let mut online = [true; 3];
        let mut members = vec![];
        let mut held = std::collections::HashSet::new();
        let mut now = T0;
        for d in desks.iter_mut() {
            d.device.replicator.handle_input(now, Input::Online);
        }
        for _ in 0..80 {
            now += next() % 400_000;
            let d = (next() % 3) as usize;
            let desk = &mut desks[d];
            match next() % 10 {
                0 => {
                    online[d] = !online[d];
                    let input = if online[d] { Input::Online } else { Input::Offline };
                    desk.device.replicator.handle_input(now, input);
                }
                1 if members.is_empty() || next() % 3 == 0 => {
                    let stream = member(u128::from(next() as u32) + 1);
                    if desk.device.execute::<Member>(stream, register("Member"), now).is_ok() {
                        members.push(stream);
                    }
                }
                _ if members.is_empty() => {}
                2 => {
                    // An unlimited month or a two-visit card, sold today.
                    let stream = members[(next() as usize) % members.len()];
                    let (plan, terms) =
                        if next() % 2 == 0 { (MONTHLY_PLAN, unlimited_monthly()) } else { (CARD_PLAN, card_of(2)) };
                    let sale = MemberCommand::SellMembership {
                        membership: uuid::Uuid::from_u128(u128::from(next())),
                        plan,
                        terms,
                        start: shared::member::Start::On(day_of(now)),
                        on: day_of(now),
                    };
                    let _ = desk.device.execute::<Member>(stream, sale, now);
                }
                3..=5 => {
                    // On the membership the entry decision chooses, when it lets the member in.
                    let stream = members[(next() as usize) % members.len()];
                    let rules = shared::member::EntryRules::default();
                    let entry = desk.device.load::<Member>(stream).0.entry(now, day_of(now), &rules);
                    if let (Some(membership), false) =
                        (entry.membership, matches!(entry.verdict, shared::member::Verdict::Deny(_)))
                    {
                        let _ = desk.device.execute::<Member>(stream, dated(check_in_on(membership), now), now);
                    }
                }
                6 | 7 => {
                    let stream = members[(next() as usize) % members.len()];
                    let field = MemberField::ALL[(next() % 3) as usize];
                    let value = match field {
                        MemberField::Name => ["Anna", "Björn"][(next() % 2) as usize],
                        MemberField::Email => ["a@x.be", ""][(next() % 2) as usize],
                        MemberField::Phone => ["0470 11 22 33", "0470 44 55 66"][(next() % 2) as usize],
                    };
                    let change = MemberCommand::ChangeMemberDetails { changes: vec![(field, value.to_owned())] };
                    let _ = desk.device.execute::<Member>(stream, change, now);
                }
                8 => {
                    let stream = members[(next() as usize) % members.len()];
                    let newest = desk.device.load::<Member>(stream).0.memberships.last().map(|m| m.id);
                    let command = match (next() % 4, newest) {
                        (0, _) | (2, None) => MemberCommand::ArchiveMember,
                        (_, None) | (1, _) => MemberCommand::RestoreMember,
                        (2, Some(membership)) => MemberCommand::FreezeMembership {
                            membership,
                            from: day_of(now),
                            until: day_of(now).add_days(2),
                            on: day_of(now),
                        },
                        (_, Some(membership)) => MemberCommand::CancelMembership {
                            membership,
                            from: day_of(now),
                            reason: "moved away".into(),
                            on: day_of(now),
                        },
                    };
                    let _ = desk.device.execute::<Member>(stream, command, now);
                }
                _ => {
                    let inbox: Vec<_> = desk.device.inbox().iter().map(|e| e.envelope.id).collect();
                    if let Some(&id) = inbox.first() {
                        if next() % 2 == 0 || desk.device.apply_on_top::<Member>(id, now).is_err() {
                            desk.device.discard(id);
                        }
                    }
                }
            }
            desk.drive(&server, online[d]).await;
            held.extend(desk.device.log.iter().map(|e| e.envelope.id));
        }
        // Everyone back online until nothing moves.
        for round in 0..4 {
            for (d, desk) in desks.iter_mut().enumerate() {
                online[d] = true;
                desk.device.replicator.handle_input(now, Input::Online);
                desk.drive(&server, true).await;
                if desk.live.is_some() {
                    desk.listen(&server, Duration::from_millis(if round == 3 { 300 } else { 100 })).await;
                }
            }
        }
        let log = server.log().await;
        resolved_by_server += log
            .iter()
            .filter(|e| {
                e.event_type.starts_with("MemberCheckInNot")
                    || e.event_type.starts_with("MemberDetailsMerged")
                    || e.event_type.starts_with("MemberDetailsOverwritten")
            })
            .count();
        let ids: std::collections::HashSet<_> = log.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), log.len(), "seed {seed}: an id stored twice");
        let mut versions = std::collections::HashMap::new();
        for e in &log {
            let v = versions.entry(e.stream).or_insert(0);
            *v += 1;
            assert_eq!(e.version, *v, "seed {seed}: versions of {} contiguous", e.stream);
        }
        for stream in &members {
            let res = server.http.get(server.url(&format!("/api/read/members/{}", stream.id))).send().await.unwrap();
            // Every registration reached the server: each member has its own new stream.
            assert_eq!(res.status(), 200, "seed {seed}: {stream} never reached the server");
            let row: shared::protocol::StreamRow = res.json().await.unwrap();
            let state: Member = shared::projection::state_from(&row.state).unwrap();
            for desk in &desks {
                assert!(
                    desk.device.pending().is_empty(),
                    "seed {seed}: {} still has pending events",
                    desk.device.device
                );
                assert_eq!(
                    desk.device.load::<Member>(*stream).0,
                    state,
                    "seed {seed}: {} folds {stream}",
                    desk.device.device
                );
            }
        }
        let set_aside: std::collections::HashSet<_> = desks
            .iter()
            .flat_map(|d| d.device.log.iter())
            .filter(|e| matches!(e.state, LocalState::Rejected(_) | LocalState::Resolved(_)))
            .map(|e| e.envelope.id)
            .collect();
        for id in &held {
            assert!(ids.contains(id) || set_aside.contains(id), "seed {seed}: event {id} vanished");
        }
    }
    assert!(resolved_by_server > 0, "the desks' changes met: some were rebased or merged by the server");
}
