//! Memberships, check-ins and the club's settings over real HTTP: every command's event accepted;
//! refused with its status and JSON code when a rule or a role forbids it, the log unchanged; and
//! what two desks did from the same parent resolved by the policies (check-ins rebase, membership
//! changes go to the inbox, unrelated changes stand). Events are made by the shared domain code,
//! as the browser makes them.

mod common;

use common::*;
use serde_json::{json, Value};
use shared::{
    access::{Forbidden, Permission},
    club::{ClubCommand, ClubSettings, Plan, Setting},
    envelope::Stamp,
    hlc::HlcClock,
    member::{
        Denial, EntryRules, Member, MemberCommand, MemberError, MemberEvent, MembershipError, NotCounted,
        PaymentMethod, Start,
    },
    protocol::{BatchStatus, PushBatch, PushRequest, PushResponse},
    replication::{
        memory::{LocalState, MemoryDevice},
        StoreOp,
    },
    EventEnvelope, Role, StaffId, StreamId,
};
use uuid::Uuid;

/// `n` minutes after [`T0`] (16:00 UTC): the same club day until 23:59.
fn minute(n: u64) -> u64 {
    T0 + n * 60_000
}

/// A desk: a device with its own log (the browser's store, in memory), signed in as one staff
/// member, pushing and pulling over HTTP as the replicator does.
struct Desk {
    device: MemoryDevice,
    client: reqwest::Client,
    cursor: u64,
    /// The stream of the club's settings.
    club: StreamId,
}

impl Desk {
    async fn open(server: &TestServer, name: &str, staff: StaffId) -> Self {
        let (status, cookie, body) =
            accounts::sign_in(&server.url(""), accounts::email_of(staff), accounts::PASSWORD, name).await;
        assert_eq!(status, 200, "{name} signs in: {body}");
        let seed = name.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        let mut device = MemoryDevice::new(name, seed);
        device.staff = Some(staff);
        let client = accounts::client_with(&cookie.expect("a session cookie"));
        Self { device, client, cursor: 0, club: shared::club::stream(server.club) }
    }

    /// Decides `command` on this desk at `at_ms` (dated that day), as its store does.
    fn decide(&mut self, stream: StreamId, command: MemberCommand, at_ms: u64) -> Result<(), MemberError> {
        self.device.execute::<Member>(stream, dated(command, at_ms), at_ms)
    }

    #[track_caller]
    fn does(&mut self, stream: StreamId, command: MemberCommand, at_ms: u64) {
        if let Err(e) = self.decide(stream, command, at_ms) {
            panic!("{} decides it: {e}", self.device.device);
        }
    }

    fn change_setting(&mut self, setting: Setting, at_ms: u64) {
        self.device.execute::<ClubSettings>(self.club, ClubCommand::ChangeSetting(setting), at_ms).expect("decided");
    }

    /// The member as this desk folds it (confirmed events, then pending ones).
    fn member(&self, stream: StreamId) -> Member {
        self.device.load::<Member>(stream).0
    }

    /// Pushes this desk's pending events of `stream`, built on what it last confirmed.
    async fn push(&mut self, server: &TestServer, stream: StreamId) -> (u16, Value) {
        let events: Vec<EventEnvelope> = self.device.pending().into_iter().filter(|e| e.stream == stream).collect();
        let parent_version = events.first().map_or(0, |e| e.version - 1);
        let request = PushRequest {
            device: self.device.device.clone(),
            batches: vec![PushBatch { stream, parent_version, events }],
            epoch: None,
        };
        self.send(server, &request).await
    }

    /// Sends `request`; a stored answer is carried out in this desk's log as the replicator does.
    async fn send(&mut self, server: &TestServer, request: &PushRequest) -> (u16, Value) {
        let res = self.client.post(server.url("/api/sync/push")).json(request).send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        if status == 200 {
            let response: PushResponse = serde_json::from_value(body.clone()).expect("a push answer");
            for mut result in response.results {
                let op = match result.status {
                    BatchStatus::Rejected => {
                        if !result.events.is_empty() {
                            let stored = std::mem::take(&mut result.events);
                            self.device.apply(StoreOp::Confirm { stored, server_events: vec![] }, T0);
                        }
                        let reason = result.reason.unwrap_or_default();
                        StoreOp::Reject { stream: result.stream, server_events: result.server_events, reason }
                    }
                    _ => StoreOp::Confirm { stored: result.events, server_events: result.server_events },
                };
                self.device.apply(op, T0);
            }
        }
        (status, body)
    }

    /// Everything the server stored since this desk last pulled.
    async fn pull(&mut self, server: &TestServer) {
        let url = server.url(&format!("/api/sync/pull?after={}&limit=1000", self.cursor));
        let page: shared::protocol::PullResponse = self.client.get(url).send().await.unwrap().json().await.unwrap();
        self.cursor = page.next;
        self.device.apply(StoreOp::Apply { events: page.events, cursor: page.next }, T0);
    }

    /// A push of `event` as version `parent + 1` of `stream`, made at `at_ms` by this desk: what a
    /// client with a bug (or a forger) would send, whatever its log says.
    fn forged(&self, stream: StreamId, parent: u64, event: &MemberEvent, at_ms: u64) -> PushRequest {
        let mut clock = HlcClock::default();
        let events = EventEnvelope::wrap(
            stream,
            parent,
            std::slice::from_ref(event),
            Stamp {
                device: &self.device.device,
                staff: self.device.staff,
                now_ms: at_ms,
                hlc: &mut clock,
                random: &mut || [FORGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed); 10],
            },
        );
        PushRequest {
            device: self.device.device.clone(),
            batches: vec![PushBatch { stream, parent_version: parent, events }],
            epoch: None,
        }
    }
}

/// Each forged event its own id.
static FORGED: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

fn first_result(body: &Value) -> &Value {
    &body["results"][0]
}

/// The stored events a push answer holds, read as member events.
fn stored_events(body: &Value) -> Vec<MemberEvent> {
    let events: Vec<EventEnvelope> = serde_json::from_value(first_result(body)["events"].clone()).unwrap();
    events.iter().map(|e| e.decode().unwrap()).collect()
}

/// Anna, registered by the front desk, with [`MONTHLY`] sold and paid in full, pushed and confirmed.
async fn anna_with_a_paid_month(server: &TestServer, desk: &mut Desk) -> StreamId {
    let anna = member(1);
    desk.does(anna, register("Anna Peeters"), minute(0));
    desk.does(anna, sell_monthly(), minute(1));
    desk.does(anna, pay(MONTHLY, 4_900), minute(2));
    let (status, body) = desk.push(server, anna).await;
    assert_eq!(status, 200, "{body}");
    anna
}

/// The read models the server serves, in the shape `ReadModels::fold` gives.
async fn served_read_models(server: &TestServer) -> shared::projection::ReadModels {
    let mut served = shared::projection::ReadModels::default();
    for table in ["members", "clubs"] {
        let page: shared::protocol::StreamRowsPage = server
            .http
            .get(server.url(&format!("/api/read/{table}?limit=1000")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for row in page.rows {
            served.streams.insert(row.stream, (row.version, row.state));
        }
    }
    for table in ["check_ins", "voids"] {
        let url = server.url(&format!("/api/read/{table}?from=0&to={}&limit=1000", i64::MAX));
        let page: shared::protocol::EventRowsPage = server.http.get(url).send().await.unwrap().json().await.unwrap();
        for row in page.rows {
            served.rows.insert((table, row.id), (row.sort, row.value));
        }
    }
    served
}

#[tokio::test]
async fn every_membership_check_in_and_settings_command_is_accepted_and_folds_into_the_read_models() {
    let server = TestServer::start().await;
    let mut desk = Desk::open(&server, "front-desk", accounts::DESK).await;
    let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
    let anna = member(1);
    let renewal = Uuid::from_u128(0xa2);
    let tomorrow = today().add_days(1);
    let backdated = MemberCommand::RecordPastCheckIn {
        at_ms: minute(20),
        on: today(),
        membership: MONTHLY,
        reason: "the scanner was down".into(),
        rules: EntryRules::default(),
    };
    let renew = MemberCommand::RenewMembership {
        membership: renewal,
        renews: MONTHLY,
        plan: MONTHLY_PLAN,
        terms: unlimited_monthly(),
        on: today(),
    };
    let steps: Vec<(&str, bool, MemberCommand, &str)> = vec![
        ("register", false, register("Anna Peeters"), "MemberRegistered"),
        ("sell", false, sell_monthly(), "MembershipSold"),
        ("pay part", false, pay(MONTHLY, 2_000), "PaymentRecorded"),
        ("pay the rest", false, pay(MONTHLY, 2_900), "PaymentRecorded"),
        ("check in on the membership", false, check_in(), "MemberCheckedIn"),
        (
            "freeze from tomorrow",
            false,
            MemberCommand::FreezeMembership {
                membership: MONTHLY,
                from: tomorrow,
                until: tomorrow.add_days(6),
                on: today(),
            },
            "MembershipFrozen",
        ),
        (
            "unfreeze (drop the planned freeze)",
            false,
            MemberCommand::UnfreezeMembership { membership: MONTHLY, on: today() },
            "MembershipUnfrozen",
        ),
        ("renew", false, renew, "MembershipSold"),
        (
            "cancel the renewal",
            false,
            MemberCommand::CancelMembership {
                membership: renewal,
                from: today(),
                reason: "moving abroad".into(),
                on: today(),
            },
            "MembershipCancelled",
        ),
        ("back-date a check-in (manager)", true, backdated, "MemberCheckInBackdated"),
        (
            "void it (manager)",
            true,
            MemberCommand::VoidCheckIn { at_ms: minute(20), reason: "wrong member".into() },
            "MemberCheckInVoided",
        ),
        ("block (manager)", true, MemberCommand::BlockMember { reason: "unpaid locker fees".into() }, "MemberBlocked"),
        (
            "override the block (manager)",
            true,
            MemberCommand::OverrideEntry {
                on: today(),
                reason: "agreed to pay today".into(),
                rules: EntryRules::default(),
            },
            "MemberEntryOverridden",
        ),
        ("unblock (manager)", true, MemberCommand::UnblockMember, "MemberUnblocked"),
    ];
    for (n, (what, by_manager, command, event_type)) in steps.into_iter().enumerate() {
        let at_ms = minute(30 + 11 * n as u64);
        let (by, other) = if by_manager { (&mut office, &mut desk) } else { (&mut desk, &mut office) };
        by.pull(&server).await;
        by.does(anna, command, at_ms);
        let (status, body) = by.push(&server, anna).await;
        assert_eq!(status, 200, "{what}: {body}");
        assert_eq!(first_result(&body)["status"], "accepted", "{what}: {body}");
        assert_eq!(first_result(&body)["events"][0]["type"], event_type, "{what}");
        other.pull(&server).await;
    }
    // The manager changes the club's settings: the duplicate window, a plan on sale.
    office.pull(&server).await;
    office.change_setting(Setting::DuplicateWindowMinutes(15), minute(300));
    let card = Plan { id: CARD_PLAN, terms: card_of(10), on_sale: true };
    office.change_setting(Setting::Plan(card.clone()), minute(301));
    let (status, body) = office.push(&server, shared::club::stream(server.club)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_result(&body)["status"], "accepted");
    assert_eq!(first_result(&body)["events"][1]["type"], "ClubSettingChanged");

    let log = server.log().await;
    assert_eq!(served_read_models(&server).await, shared::projection::ReadModels::fold(&log), "the served read models");
    let member = office.member(anna);
    assert_eq!(
        (member.check_ins, member.blocked.clone()),
        (2, None),
        "checked in, overridden; the back-dated one voided"
    );
    assert_eq!(member.membership(MONTHLY).unwrap().outstanding_cents(), 0);
    assert!(member.membership(renewal).unwrap().cancelled.is_some());
    let models = served_read_models(&server).await;
    let how: Vec<&str> = models
        .rows
        .iter()
        .filter(|((t, _), _)| *t == "check_ins")
        .map(|(_, (_, v))| v["how"].as_str().unwrap())
        .collect();
    assert_eq!(how, ["checked_in", "backdated", "overridden"], "in event order");
    let club: ClubSettings =
        shared::projection::state_from(&models.streams[&shared::club::stream(server.club)].1).unwrap();
    assert_eq!((club.duplicate_window_min, club.plans.get(&CARD_PLAN)), (15, Some(&card)));
}

/// A push built on the stream's head whose event a rule forbids there: what a client with a bug
/// would send (its own store would refuse to decide it). Refused whole with 422 `rule_broken`,
/// naming the event and the rule; nothing is stored.
#[tokio::test]
async fn a_change_a_rule_forbids_is_refused_with_rule_broken_and_the_log_is_unchanged() {
    let server = TestServer::start().await;
    let mut desk = Desk::open(&server, "front-desk", accounts::DESK).await;
    let anna = anna_with_a_paid_month(&server, &mut desk).await;
    let bob = member(2);
    let card = Uuid::from_u128(0xc4);
    desk.does(bob, register("Bob"), minute(3));
    desk.does(bob, sell(card, CARD_PLAN, card_of(1)), minute(4));
    desk.does(bob, pay(card, 9_000), minute(5));
    desk.does(bob, check_in_on(card), minute(6));
    assert_eq!(desk.push(&server, bob).await.0, 200);
    // Anna's month is frozen from today to Sunday (version 4).
    let (from, until) = (today(), today().add_days(6));
    desk.does(anna, MemberCommand::FreezeMembership { membership: MONTHLY, from, until, on: today() }, minute(10));
    assert_eq!(desk.push(&server, anna).await.0, 200);
    let rules = EntryRules::default();
    let at = minute(30);
    let cases: Vec<(&str, StreamId, u64, MemberEvent, MemberError)> = vec![
        (
            "a check-in on a frozen membership",
            anna,
            4,
            MemberEvent::MemberCheckedIn { at_ms: at, on: today(), membership: MONTHLY, rules },
            MemberError::EntryDenied(Denial::Frozen { until }),
        ),
        (
            "a payment when nothing is owed",
            bob,
            4,
            MemberEvent::PaymentRecorded {
                membership: card,
                amount_cents: 500,
                method: PaymentMethod::Card,
                on: today(),
            },
            MembershipError::NothingOwed.into(),
        ),
        (
            "a freeze overlapping the one recorded",
            anna,
            4,
            MemberEvent::MembershipFrozen { membership: MONTHLY, from: until, until: until.add_days(3), on: today() },
            MembershipError::FreezeOverlaps { from, until }.into(),
        ),
        (
            "a check-in on a card with no visits left",
            bob,
            4,
            MemberEvent::MemberCheckedIn { at_ms: at, on: today(), membership: card, rules },
            MemberError::EntryDenied(Denial::NoVisitsLeft),
        ),
        (
            "a membership sold twice",
            anna,
            4,
            MemberEvent::MembershipSold {
                membership: MONTHLY,
                plan: MONTHLY_PLAN,
                terms: unlimited_monthly(),
                start: Start::On(today()),
                on: today(),
                renews: None,
            },
            MembershipError::AlreadySold.into(),
        ),
    ];
    let before = server.log().await;
    for (what, stream, parent, event, rule) in cases {
        let push = desk.forged(stream, parent, &event, at);
        let (status, body) = desk.send(&server, &push).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{what}: {body}");
        assert_eq!(body["error"]["stream"], json!(stream), "{what}");
        assert_eq!(body["error"]["event"], json!(push.batches[0].events[0].id), "{what}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.ends_with(&rule.to_string()), "{what}: {message:?} names the rule {rule}");
        assert_eq!(server.log().await, before, "{what}: nothing stored");
    }
    // The payment rule says how much is owed when something is.
    let mut owing = Desk::open(&server, "desk-2", accounts::DESK).await;
    owing.pull(&server).await;
    let cleo = member(3);
    owing.does(cleo, register("Cleo"), minute(40));
    owing.does(cleo, sell_monthly(), minute(41));
    assert_eq!(owing.push(&server, cleo).await.0, 200);
    let too_much = MemberEvent::PaymentRecorded {
        membership: MONTHLY,
        amount_cents: 5_000,
        method: PaymentMethod::Cash,
        on: today(),
    };
    let (status, body) = owing.send(&server, &owing.forged(cleo, 2, &too_much, minute(42))).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
    let rule = MemberError::from(MembershipError::PaymentTooLarge { owed_cents: 4_900 }).to_string();
    assert!(body["error"]["message"].as_str().unwrap().ends_with(&rule), "{body}");
}

/// The front desk sells, takes payments, freezes, cancels and checks in; overriding a deny,
/// back-dating (a check-in, a sale or a freeze starting on a past day), voiding, blocking and the
/// club's settings are a manager's. Refused with 403 `forbidden` naming the event and what the
/// role may not do; nothing is stored.
#[tokio::test]
async fn the_front_desk_may_not_override_back_date_void_block_or_change_settings() {
    let server = TestServer::start().await;
    let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
    let mut desk = Desk::open(&server, "front-desk", accounts::DESK).await;
    // The manager sold Anna a month that started last week.
    let (anna, last_week) = (member(1), today().add_days(-7));
    let started = MemberCommand::SellMembership {
        membership: MONTHLY,
        plan: MONTHLY_PLAN,
        terms: unlimited_monthly(),
        start: Start::On(last_week),
        on: today(),
    };
    for (n, command) in [register("Anna"), started, pay(MONTHLY, 4_900)].into_iter().enumerate() {
        office.does(anna, command, minute(n as u64));
    }
    assert_eq!(office.push(&server, anna).await.0, 200);
    desk.pull(&server).await;
    desk.does(anna, check_in(), minute(10));
    assert_eq!(desk.push(&server, anna).await.0, 200);
    let before = server.log().await;
    let rules = EntryRules::default();
    let cases: Vec<(&str, u64, MemberCommand, Permission)> = vec![
        // At 16:15 the entry decision says "already checked in at 16:10": a deny to override.
        (
            "an override",
            minute(15),
            MemberCommand::OverrideEntry { on: today(), reason: "a friend".into(), rules },
            Permission::Override,
        ),
        (
            "a back-dated check-in",
            minute(41),
            MemberCommand::RecordPastCheckIn {
                at_ms: minute(25),
                on: today(),
                membership: MONTHLY,
                reason: "forgot to scan".into(),
                rules,
            },
            Permission::BackDate,
        ),
        (
            "a void",
            minute(42),
            MemberCommand::VoidCheckIn { at_ms: minute(10), reason: "wrong member".into() },
            Permission::Void,
        ),
        ("a block", minute(43), MemberCommand::BlockMember { reason: "rude to staff".into() }, Permission::Override),
        (
            "a freeze from yesterday",
            minute(44),
            MemberCommand::FreezeMembership {
                membership: MONTHLY,
                from: today().add_days(-1),
                until: today(),
                on: today(),
            },
            Permission::BackDate,
        ),
        (
            "a sale that started last week",
            minute(45),
            MemberCommand::SellMembership {
                membership: Uuid::from_u128(0xa9),
                plan: MONTHLY_PLAN,
                terms: unlimited_monthly(),
                start: Start::On(last_week),
                on: today(),
            },
            Permission::BackDate,
        ),
    ];
    for (what, at_ms, command, permission) in cases {
        desk.does(anna, command, at_ms);
        check_forbidden(&server, &mut desk, anna, what, permission, &before).await;
    }
    desk.change_setting(Setting::PaymentGraceDays(30), minute(50));
    let club = desk.club;
    check_forbidden(&server, &mut desk, club, "a change of the club's settings", Permission::Settings, &before).await;
}

/// Pushes `stream`'s pending events, expects 403 `forbidden` naming the first of them and what a
/// front desk may not do, and sets them aside (as the replicator does with a refused push).
async fn check_forbidden(
    server: &TestServer,
    desk: &mut Desk,
    stream: StreamId,
    what: &str,
    permission: Permission,
    before: &[EventEnvelope],
) {
    let pending: Vec<EventEnvelope> = desk.device.pending().into_iter().filter(|e| e.stream == stream).collect();
    let (status, body) = desk.push(server, stream).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("forbidden")), "{what}: {body}");
    assert_eq!(body["error"]["event"], json!(pending[0].id), "{what}: the refused change is named");
    let message = body["error"]["message"].as_str().unwrap_or_default().to_owned();
    let rule = Forbidden { role: Role::FrontDesk, permission }.to_string();
    assert!(message.contains(&rule), "{what}: {message:?} says {rule:?}");
    assert_eq!(server.log().await, before, "{what}: nothing stored");
    desk.device.apply(StoreOp::Reject { stream, server_events: vec![], reason: message }, T0);
}

/// DOMAIN.md: "a card never silently goes negative: if two devices used the last visit, a
/// correction is shown to staff".
#[tokio::test]
async fn two_desks_using_a_cards_last_visit_from_the_same_parent_end_with_one_visit_counted_and_a_correction_on_both() {
    let server = TestServer::start().await;
    let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
    let mut gym = Desk::open(&server, "gym-floor", accounts::DESK).await;
    let bob = member(2);
    let card = Uuid::from_u128(0xc4);
    for (n, command) in [register("Bob"), sell(card, CARD_PLAN, card_of(2)), pay(card, 9_000), check_in_on(card)]
        .into_iter()
        .enumerate()
    {
        front.does(bob, command, minute(n as u64));
    }
    assert_eq!(front.push(&server, bob).await.0, 200);
    gym.pull(&server).await;
    assert_eq!(gym.member(bob).membership(card).unwrap().visits_left(), Some(1), "one visit left, on both desks");

    // Both desks are offline; Bob comes in at one, his partner with his card at the other.
    front.does(bob, check_in_on(card), minute(60));
    gym.does(bob, check_in_on(card), minute(75));
    let (status, body) = front.push(&server, bob).await;
    assert_eq!((status, first_result(&body)["status"].as_str()), (200, Some("accepted")), "{body}");
    let (status, body) = gym.push(&server, bob).await;
    assert_eq!((status, first_result(&body)["status"].as_str()), (200, Some("rebased")), "{body}");
    let mine = gym.device.log.iter().find(|e| e.envelope.version == 6).expect("the gym's check-in, renumbered");
    assert_eq!(
        stored_events(&body),
        vec![MemberEvent::MemberCheckInNotCounted {
            at_ms: minute(75),
            reason: NotCounted::Refused { denial: Denial::NoVisitsLeft, on: today(), membership: card, grace_days: 14 },
        }]
    );
    assert!(mine.corrected, "the gym's staff are told the visit did not count");

    for desk in [&mut front, &mut gym] {
        desk.pull(&server).await;
        let mut confirmed: Vec<(u64, &str)> = desk
            .device
            .log
            .iter()
            .filter(|e| e.envelope.stream == bob && e.state == LocalState::Confirmed)
            .map(|e| (e.envelope.version, e.envelope.event_type.as_str()))
            .collect();
        confirmed.sort();
        assert_eq!(confirmed.len(), 6, "{}: the same log", desk.device.device);
        assert_eq!(confirmed[4..], [(5, "MemberCheckedIn"), (6, "MemberCheckInNotCounted")], "{}", desk.device.device);
        let card = desk.member(bob).membership(card).cloned().unwrap();
        assert_eq!((card.visits_used, card.visits_left()), (2, Some(0)), "{}: never below zero", desk.device.device);
    }
    assert_eq!(front.member(bob), gym.member(bob));
    let log = server.log().await;
    assert_eq!(served_read_models(&server).await, shared::projection::ReadModels::fold(&log));
}

/// A freeze on one desk and a cancellation on the other, of the same membership from the same
/// parent: not guessed at. The second to arrive is rejected into its desk's inbox, the log
/// unchanged; staff resolve it there by applying it on top (the cancellation ends the freeze).
#[tokio::test]
async fn a_freeze_and_a_cancellation_of_one_membership_from_the_same_parent_put_the_second_in_the_inbox() {
    let server = TestServer::start().await;
    let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
    let mut office = Desk::open(&server, "office", accounts::DESK).await;
    let anna = anna_with_a_paid_month(&server, &mut front).await;
    office.pull(&server).await;
    let tomorrow = today().add_days(1);
    front.does(
        anna,
        MemberCommand::FreezeMembership {
            membership: MONTHLY,
            from: tomorrow,
            until: tomorrow.add_days(13),
            on: today(),
        },
        minute(30),
    );
    office.does(
        anna,
        MemberCommand::CancelMembership {
            membership: MONTHLY,
            from: today(),
            reason: "moving abroad".into(),
            on: today(),
        },
        minute(31),
    );
    assert_eq!(first_result(&front.push(&server, anna).await.1)["status"], "accepted");
    let before = server.log().await;
    let (status, body) = office.push(&server, anna).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_result(&body)["status"], "rejected", "{body}");
    assert_eq!(first_result(&body)["server_events"][0]["type"], "MembershipFrozen", "the other side, to compare");
    assert_eq!(server.log().await, before, "nothing stored");
    let inbox = office.device.inbox();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].envelope.event_type, "MembershipCancelled");
    assert!(
        matches!(&inbox[0].state, LocalState::Rejected(why) if why.contains("another desk")),
        "{:?}",
        inbox[0].state
    );

    // Staff look at both and apply the cancellation on top of the freeze.
    let id = inbox[0].envelope.id;
    office.device.apply_on_top::<Member>(id, minute(35)).expect("still holds on the new state");
    let (status, body) = office.push(&server, anna).await;
    assert_eq!((status, first_result(&body)["status"].as_str()), (200, Some("accepted")), "{body}");
    front.pull(&server).await;
    office.pull(&server).await;
    for desk in [&front, &office] {
        let month = desk.member(anna).membership(MONTHLY).cloned().unwrap();
        assert!(
            month.cancelled.is_some() && month.freezes.is_empty(),
            "{}: cancelled, no freeze left",
            desk.device.device
        );
    }
}

/// Different parents, different things: a payment taken at one desk after another desk checked the
/// member in (which this desk had not seen) is kept as it was made.
#[tokio::test]
async fn a_payment_made_on_a_desk_that_had_not_seen_another_desks_check_in_is_kept() {
    let server = TestServer::start().await;
    let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
    let mut office = Desk::open(&server, "office", accounts::DESK).await;
    let anna = member(1);
    front.does(anna, register("Anna"), minute(0));
    front.does(anna, sell_monthly(), minute(1));
    assert_eq!(front.push(&server, anna).await.0, 200);
    office.pull(&server).await;
    front.does(anna, check_in(), minute(20));
    assert_eq!(first_result(&front.push(&server, anna).await.1)["status"], "accepted");
    office.does(anna, pay(MONTHLY, 4_900), minute(21));
    let sent = office.device.pending()[0].clone();
    let (status, body) = office.push(&server, anna).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_result(&body)["status"], "merged", "{body}");
    assert_eq!(
        stored_events(&body),
        vec![MemberEvent::PaymentRecorded {
            membership: MONTHLY,
            amount_cents: 4_900,
            method: PaymentMethod::Cash,
            on: today()
        }]
    );
    assert_eq!(first_result(&body)["events"][0]["id"], json!(sent.id));
    assert_eq!(first_result(&body)["events"][0]["version"], 4, "after the check-in it had not seen");
    office.pull(&server).await;
    let anna_now = office.member(anna);
    assert_eq!((anna_now.check_ins, anna_now.membership(MONTHLY).unwrap().outstanding_cents()), (1, 0));
    assert!(office.device.inbox().is_empty());
    assert!(office.device.log.iter().all(|e| !e.corrected), "nothing to tell anyone");
}

/// A check-in made on a desk that had not seen a freeze still happened: it is kept as a visit
/// that did not count (the membership was frozen), and that desk's staff are told.
#[tokio::test]
async fn a_check_in_on_a_membership_another_desk_froze_meanwhile_is_recorded_as_not_counted() {
    let server = TestServer::start().await;
    let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
    let mut gym = Desk::open(&server, "gym-floor", accounts::DESK).await;
    let anna = anna_with_a_paid_month(&server, &mut front).await;
    gym.pull(&server).await;
    front.does(
        anna,
        MemberCommand::FreezeMembership { membership: MONTHLY, from: today(), until: today().add_days(2), on: today() },
        minute(30),
    );
    assert_eq!(front.push(&server, anna).await.0, 200);
    gym.does(anna, check_in(), minute(40));
    let (status, body) = gym.push(&server, anna).await;
    assert_eq!((status, first_result(&body)["status"].as_str()), (200, Some("rebased")), "{body}");
    assert!(
        matches!(
            stored_events(&body)[..],
            [MemberEvent::MemberCheckInNotCounted {
                reason: NotCounted::Refused { denial: Denial::Frozen { .. }, membership, .. },
                ..
            }] if membership == MONTHLY
        ),
        "{body}"
    );
    assert!(gym.device.log.iter().any(|e| e.corrected), "the gym's staff are told");
    assert_eq!(gym.member(anna).check_ins, 0, "it does not count");
}

/// The club's settings merge setting by setting, from the very first change: two managers who
/// change them on two devices before either synced (both built on nothing) both stand, and where
/// they changed the same setting, the later stamp wins and the other value stays visible.
#[tokio::test]
async fn two_managers_first_changes_of_the_clubs_settings_merge_setting_by_setting() {
    let server = TestServer::start().await;
    let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
    let mut tablet = Desk::open(&server, "owner-tablet", accounts::MANAGER).await;
    office.change_setting(Setting::DuplicateWindowMinutes(20), minute(1));
    office.change_setting(Setting::PaymentGraceDays(7), minute(2));
    tablet.change_setting(Setting::DuplicateWindowMinutes(5), minute(3));
    tablet.change_setting(Setting::Plan(Plan { id: CARD_PLAN, terms: card_of(10), on_sale: true }), minute(4));
    let club = office.club;
    assert_eq!(first_result(&office.push(&server, club).await.1)["status"], "accepted");
    let (status, body) = tablet.push(&server, club).await;
    assert_eq!((status, first_result(&body)["status"].as_str()), (200, Some("merged")), "{body}");
    let types: Vec<&str> =
        first_result(&body)["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["ClubSettingMerged", "ClubSettingChanged"], "the later window stands; the plan simply joins");
    for desk in [&mut office, &mut tablet] {
        desk.pull(&server).await;
        let settings = desk.device.load::<ClubSettings>(club).0;
        assert_eq!((settings.duplicate_window_min, settings.payment_grace_days), (5, 7), "{}", desk.device.device);
        assert!(settings.plans.contains_key(&CARD_PLAN));
    }
    assert!(office.device.log.iter().any(|e| e.corrected), "the office is told its window was overwritten");
}

/// What a member's stream cannot see for itself is held to the club's settings at append (the
/// attacker's findings): a check-in decided under looser rules than the club's, a date that is
/// not the club's day in its zone, a sale whose terms are not the club's plan's, an unknown zone.
/// Each is 422 `rule_broken` naming the event, and nothing is stored.
#[tokio::test]
async fn what_the_club_settles_is_held_to_the_clubs_settings_at_append() {
    let server = TestServer::start().await;
    let mut manager = Desk::open(&server, "manager-desk", accounts::MANAGER).await;
    let mut desk = Desk::open(&server, "front-desk", accounts::DESK).await;
    // The club sells its monthly plan and lives in Berlin.
    let plan = Plan { id: MONTHLY_PLAN, terms: unlimited_monthly(), on_sale: true };
    manager.change_setting(Setting::Plan(plan), minute(0));
    manager.change_setting(Setting::TimeZone("Europe/Berlin".into()), minute(1));
    let club = manager.club;
    let (status, body) = manager.push(&server, club).await;
    assert_eq!(status, 200, "{body}");
    desk.pull(&server).await;
    let anna = anna_with_a_paid_month(&server, &mut desk).await;

    // 16:10 UTC is 17:10 in Berlin: the same day either way; 23:30 UTC is tomorrow in Berlin.
    let late = T0 + (7 * 60 + 30) * 60_000;
    let check_in = |at_ms: u64, on, rules| MemberEvent::MemberCheckedIn { at_ms, on, membership: MONTHLY, rules };
    let club_rules = EntryRules::default();
    let forged = [
        check_in(minute(10), day_of(minute(10)), EntryRules { grace_days: 1000, ..club_rules }),
        check_in(minute(10), day_of(minute(10)), EntryRules { window_ms: 0, ..club_rules }),
        check_in(late, day_of(late), club_rules),
        MemberEvent::MembershipSold {
            membership: Uuid::from_u128(77),
            plan: MONTHLY_PLAN,
            terms: shared::club::PlanTerms { price_cents: 1, ..unlimited_monthly() },
            start: Start::On(today()),
            on: today(),
            renews: None,
        },
        MemberEvent::MembershipSold {
            membership: Uuid::from_u128(78),
            plan: Uuid::from_u128(0xdead),
            terms: unlimited_monthly(),
            start: Start::On(today()),
            on: today(),
            renews: None,
        },
    ];
    let parent = 3;
    for event in &forged {
        let at_ms = match event {
            MemberEvent::MemberCheckedIn { at_ms, .. } => *at_ms,
            _ => minute(10),
        };
        let request = desk.forged(anna, parent, event, at_ms);
        let (status, body) = desk.send(&server, &request).await;
        assert_eq!(status, 422, "{event:?}: {body}");
        assert_eq!(body["error"]["code"], "rule_broken", "{body}");
        assert!(body["error"]["event"].is_string(), "{body}");
    }
    // The right check-in, at the right date, still goes in.
    let right = check_in(minute(10), day_of(minute(10)), club_rules);
    let request = desk.forged(anna, parent, &right, minute(10));
    let (status, body) = desk.send(&server, &request).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_result(&body)["status"], "accepted", "{body}");

    // A zone no one has heard of.
    manager.change_setting(Setting::TimeZone("Mars/Olympus".into()), minute(20));
    let (status, body) = manager.push(&server, club).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "rule_broken", "{body}");
}
