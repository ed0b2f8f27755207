//! Classes over real HTTP, on SQLite and PostgreSQL: every class command accepted and folded into
//! the classes read model; refused with its status and JSON code when a role or a rule forbids it,
//! the log unchanged; what two desks did offline settled by the policies (the last spot booked by
//! one, the other waitlisted); and the re-check at append of what the device could not see (a
//! membership frozen on the server meanwhile refuses a booking, or passes the member over for a
//! promotion), never a silent drop. Events are made by the shared domain code, as the browser makes
//! them.

mod common;

use common::*;
use serde_json::{json, Value};
use shared::{
    access::{Forbidden, Permission},
    class::{ChargeKind, Class, ClassCommand, ClassDetails, ClassError, ClassEvent, Cutoffs, Refused, Skip, Via},
    envelope::Stamp,
    hlc::HlcClock,
    member::{Denial, Member, MemberCommand, MemberEvent, Repeated, VisitNotCounted},
    protocol::{BatchStatus, PushBatch, PushRequest, PushResponse},
    replication::{memory::MemoryDevice, StoreOp},
    Command, DomainEvent, EventEnvelope, Role, StaffId, StreamId,
};
use uuid::Uuid;

/// `n` minutes after [`T0`] (Monday 16:00 UTC; the test club is on UTC).
fn minute(n: u64) -> u64 {
    T0 + n * 60_000
}

/// The classes start on Tuesday at 18:00, 26 hours after [`T0`].
const START: u64 = T0 + 26 * 60 * 60_000;

/// A card of ten visits (the members' monthly membership is [`MONTHLY`]).
const CARD: Uuid = Uuid::from_u128(0xc4);

const SPIN: Uuid = Uuid::from_u128(0x5c1a55);
const YOGA: Uuid = Uuid::from_u128(0x5c1a56);

fn class(id: Uuid) -> StreamId {
    shared::class::stream(id)
}

/// A class on Tuesday at 18:00 for an hour, coached by `coach`, holding `capacity`.
fn details(title: &str, coach: StaffId, capacity: u32) -> ClassDetails {
    ClassDetails {
        title: title.into(),
        coach,
        start_ms: START,
        day: day_of(START),
        duration_min: 60,
        capacity,
        room: "Studio 1".into(),
    }
}

fn schedule(details: ClassDetails) -> ClassCommand {
    ClassCommand::ScheduleClass { details, cutoffs: Cutoffs::default() }
}

/// The front desk books `member` on `membership`, as its page does once the member can attend.
fn book_on(member: StreamId, membership: Uuid) -> ClassCommand {
    ClassCommand::Book { member: member.id, membership: Some(membership), override_reason: None, over_capacity: None }
}

fn book(member: StreamId) -> ClassCommand {
    book_on(member, MONTHLY)
}

/// A visit of [`CARD`] used by `class`, on the class's day.
fn use_visit(class: Uuid, charge: Option<ChargeKind>) -> MemberCommand {
    MemberCommand::UseClassVisit { class, membership: CARD, on: day_of(START), charge }
}

/// A desk: a device with its own log (the browser's store, in memory), signed in as one staff
/// member, pushing and pulling over HTTP as the replicator does.
struct Desk {
    device: MemoryDevice,
    client: reqwest::Client,
    cursor: u64,
}

impl Desk {
    async fn open(server: &TestServer, name: &str, staff: StaffId) -> Self {
        let (status, cookie, body) =
            accounts::sign_in(&server.url(""), accounts::email_of(staff), accounts::PASSWORD, name).await;
        assert_eq!(status, 200, "{name} signs in: {body}");
        let seed = name.bytes().fold(11u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
        let mut device = MemoryDevice::new(name, seed);
        device.staff = Some(staff);
        Self { device, client: accounts::client_with(&cookie.expect("a session cookie")), cursor: 0 }
    }

    /// Decides `command` on this desk at `at_ms` (a check-in dated that day), as its store does.
    fn decide(&mut self, stream: StreamId, command: Command, at_ms: u64) -> Result<(), shared::RuleError> {
        match command {
            Command::Member(c) => {
                self.device.execute::<Member>(stream, dated(c, at_ms), at_ms).map_err(shared::RuleError::Member)
            }
            Command::Class(c) => self.device.execute::<Class>(stream, c, at_ms).map_err(shared::RuleError::Class),
            Command::Club(c) => {
                self.device.execute::<shared::club::ClubSettings>(stream, c, at_ms).map_err(shared::RuleError::Club)
            }
        }
    }

    #[track_caller]
    fn does(&mut self, stream: StreamId, command: impl Decided, at_ms: u64) {
        if let Err(e) = self.decide(stream, command.command(), at_ms) {
            panic!("{} decides it: {e}", self.device.device);
        }
    }

    fn class(&self, id: Uuid) -> Class {
        self.device.load::<Class>(class(id)).0
    }

    fn member(&self, stream: StreamId) -> Member {
        self.device.load::<Member>(stream).0
    }

    /// The push of this desk's pending events of `streams`, one batch each, in that order, each
    /// built on what it last confirmed.
    fn push_of(&self, streams: &[StreamId]) -> PushRequest {
        let batches = streams
            .iter()
            .map(|&stream| {
                let events: Vec<EventEnvelope> =
                    self.device.pending().into_iter().filter(|e| e.stream == stream).collect();
                let parent_version = events.first().map_or(0, |e| e.version - 1);
                PushBatch { stream, parent_version, events }
            })
            .filter(|b| !b.events.is_empty())
            .collect();
        PushRequest { device: self.device.device.clone(), batches, epoch: None }
    }

    async fn push(&mut self, server: &TestServer, streams: &[StreamId]) -> (u16, Value) {
        let request = self.push_of(streams);
        self.send(server, &request).await
    }

    /// Sends `request`; a stored answer is carried out in this desk's log as the replicator does.
    async fn send(&mut self, server: &TestServer, request: &PushRequest) -> (u16, Value) {
        let (status, body) = self.send_only(server, request).await;
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

    /// Sends `request` and loses the answer (the connection dropped on the way back).
    async fn send_only(&self, server: &TestServer, request: &PushRequest) -> (u16, Value) {
        let res = self.client.post(server.url("/api/sync/push")).json(request).send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
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
    fn forged<E: DomainEvent>(&self, stream: StreamId, parent: u64, event: &E, at_ms: u64) -> PushRequest {
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

    /// Whether staff on this desk are told that `id` was stored as something else.
    fn told_of(&self, id: Uuid) -> bool {
        self.device.log.iter().any(|e| e.envelope.id == id && e.corrected)
    }
}

/// A command of one aggregate, as the registry's [`Command`].
trait Decided {
    fn command(self) -> Command;
}

impl Decided for ClassCommand {
    fn command(self) -> Command {
        Command::Class(self)
    }
}

impl Decided for Command {
    fn command(self) -> Command {
        self
    }
}

impl Decided for MemberCommand {
    fn command(self) -> Command {
        Command::Member(self)
    }
}

static FORGED: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);

fn result(body: &Value, n: usize) -> &Value {
    &body["results"][n]
}

/// The stored events of the `n`th batch of a push answer, read as `E`.
fn stored<E: DomainEvent>(body: &Value, n: usize) -> Vec<E> {
    let events: Vec<EventEnvelope> = serde_json::from_value(result(body, n)["events"].clone()).unwrap();
    events.iter().map(|e| e.decode().unwrap()).collect()
}

#[track_caller]
fn assert_status(status: u16, body: &Value, expected: &str) {
    assert_eq!(status, 200, "{body}");
    for r in body["results"].as_array().unwrap() {
        assert_eq!(r["status"], expected, "{body}");
    }
}

/// Registers `who` (member number, name, what they hold: a month, a card of ten, nothing) on
/// `desk` and pushes them.
async fn members(server: &TestServer, desk: &mut Desk, who: &[(u128, &str, Holds)]) {
    let mut streams = vec![];
    for (i, (n, name, holds)) in who.iter().enumerate() {
        let (stream, at) = (member(*n), minute(i as u64));
        desk.does(stream, register(name), at);
        match holds {
            Holds::Month => {
                desk.does(stream, sell_monthly(), at);
                desk.does(stream, pay(MONTHLY, 4_900), at);
            }
            Holds::Card => {
                desk.does(stream, sell(CARD, CARD_PLAN, card_of(10)), at);
                desk.does(stream, pay(CARD, 9_000), at);
            }
            Holds::Nothing => {}
        }
        streams.push(stream);
    }
    let (status, body) = desk.push(server, &streams).await;
    assert_status(status, &body, "accepted");
}

enum Holds {
    Month,
    Card,
    Nothing,
}

/// The manager's office schedules `details` as `id` and pushes it; `desks` pull it.
async fn scheduled(server: &TestServer, office: &mut Desk, id: Uuid, details: ClassDetails, desks: &mut [&mut Desk]) {
    office.pull(server).await;
    office.does(class(id), schedule(details), minute(5));
    let (status, body) = office.push(server, &[class(id)]).await;
    assert_status(status, &body, "accepted");
    for desk in desks {
        desk.pull(server).await;
    }
}

/// The read models the server serves, in the shape `ReadModels::fold` gives.
async fn served_read_models(server: &TestServer) -> shared::projection::ReadModels {
    let mut served = shared::projection::ReadModels::default();
    for table in ["members", "clubs", "classes"] {
        let url = server.url(&format!("/api/read/{table}?limit=1000"));
        let page: shared::protocol::StreamRowsPage = server.http.get(url).send().await.unwrap().json().await.unwrap();
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

async fn assert_read_models_fold_the_log(server: &TestServer) {
    let log = server.log().await;
    assert_eq!(served_read_models(server).await, shared::projection::ReadModels::fold(&log), "the served read models");
}

/// Who does what, on which stream, and the event type it is stored as.
type Step = (&'static str, usize, StreamId, Command, u64, &'static str);

#[tokio::test]
async fn every_class_command_is_accepted_and_folds_into_the_classes_read_model() {
    each_server("classes_every_command", async |server| {
        let office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut desk = Desk::open(&server, "front-desk", accounts::DESK).await;
        let phone = Desk::open(&server, "coach-phone", accounts::COACH).await;
        let (anna, bob, cleo, dan, eve) = (member(1), member(2), member(3), member(4), member(5));
        let who = [
            (1, "Anna", Holds::Card),
            (2, "Bob", Holds::Month),
            (3, "Cleo", Holds::Card),
            (4, "Dan", Holds::Month),
            (5, "Eve", Holds::Nothing),
        ];
        members(&server, &mut desk, &who).await;
        let (spin, yoga) = (class(SPIN), class(YOGA));
        let smaller = ClassDetails { capacity: 2, room: "Studio 2".into(), ..details("Spin", accounts::COACH, 3) };
        let (office_, desk_, phone_) = (0, 1, 2);
        let steps: Vec<Step> = vec![
            (
                "schedule",
                office_,
                spin,
                schedule(details("Spin", accounts::COACH, 3)).command(),
                minute(10),
                "ClassScheduled",
            ),
            (
                "reschedule",
                office_,
                spin,
                ClassCommand::RescheduleClass { details: smaller, skipped: vec![], released: vec![] }.command(),
                minute(11),
                "ClassRescheduled",
            ),
            (
                "schedule another",
                office_,
                yoga,
                schedule(details("Yoga", accounts::COACH, 8)).command(),
                minute(12),
                "ClassScheduled",
            ),
            (
                "cancel it",
                office_,
                yoga,
                ClassCommand::CancelClass { reason: "the coach is ill".into() }.command(),
                minute(13),
                "ClassCancelled",
            ),
            ("book", desk_, spin, book_on(anna, CARD).command(), minute(20), "ClassBooked"),
            ("book the last spot", desk_, spin, book(bob).command(), minute(21), "ClassBooked"),
            ("book a full class", desk_, spin, book_on(cleo, CARD).command(), minute(22), "ClassWaitlisted"),
            (
                "leave the waitlist",
                desk_,
                spin,
                ClassCommand::LeaveWaitlist { member: cleo.id }.command(),
                minute(23),
                "WaitlistLeft",
            ),
            ("wait again", desk_, spin, book_on(cleo, CARD).command(), minute(24), "ClassWaitlisted"),
            (
                "cancel a booking (Cleo moves up)",
                desk_,
                spin,
                ClassCommand::CancelBooking { member: bob.id, skipped: vec![] }.command(),
                minute(25),
                "BookingCancelled",
            ),
            ("wait", desk_, spin, book(dan).command(), minute(26), "ClassWaitlisted"),
            (
                "promote beyond the capacity",
                desk_,
                spin,
                ClassCommand::Promote { member: dan.id, over_capacity: Some("his birthday".into()) }.command(),
                minute(27),
                "WaitlistPromoted",
            ),
            (
                "book without a membership (manager)",
                office_,
                spin,
                ClassCommand::Book {
                    member: eve.id,
                    membership: None,
                    override_reason: Some("pays at the door".into()),
                    over_capacity: Some("a trial".into()),
                }
                .command(),
                minute(28),
                "ClassBooked",
            ),
            (
                "cancel late",
                desk_,
                spin,
                ClassCommand::CancelBooking { member: cleo.id, skipped: vec![] }.command(),
                START - 60 * 60_000,
                "BookingCancelled",
            ),
            (
                "the late cancel uses a visit",
                desk_,
                cleo,
                use_visit(SPIN, Some(ChargeKind::LateCancel)).command(),
                START - 59 * 60_000,
                "ClassVisitUsed",
            ),
            (
                "mark attendance (the coach)",
                phone_,
                spin,
                ClassCommand::MarkAttendance { member: anna.id, attended: true }.command(),
                START - 30 * 60_000,
                "AttendanceMarked",
            ),
            (
                "attendance uses a visit (the coach)",
                phone_,
                anna,
                use_visit(SPIN, None).command(),
                START - 29 * 60_000,
                "ClassVisitUsed",
            ),
            (
                "submit attendance (the coach)",
                phone_,
                spin,
                ClassCommand::SubmitAttendance.command(),
                START + 70 * 60_000,
                "AttendanceSubmitted",
            ),
            (
                "waive the late cancel (manager)",
                office_,
                spin,
                ClassCommand::WaiveCharge { member: cleo.id, reason: "her child was ill".into() }.command(),
                START + 80 * 60_000,
                "ChargeWaived",
            ),
            (
                "give the visit back (manager)",
                office_,
                cleo,
                MemberCommand::ReturnClassVisit {
                    class: SPIN,
                    membership: CARD,
                    on: day_of(START),
                    reason: "late cancel waived".into(),
                }
                .command(),
                START + 81 * 60_000,
                "ClassVisitReturned",
            ),
        ];
        let mut desks = [office, desk, phone];
        for (what, by, stream, command, at_ms, event_type) in steps {
            let by = &mut desks[by];
            by.pull(&server).await;
            by.does(stream, command, at_ms);
            let (status, body) = by.push(&server, &[stream]).await;
            assert_status(status, &body, "accepted");
            assert_eq!(result(&body, 0)["events"][0]["type"], event_type, "{what}");
        }
        let [office, ..] = &mut desks;
        office.pull(&server).await;
        let spin_now = office.class(SPIN);
        let booked: Vec<(Uuid, bool)> = spin_now.bookings.iter().map(|b| (b.member, b.attended)).collect();
        assert_eq!(booked, [(anna.id, true), (dan.id, false), (eve.id, false)]);
        assert!(spin_now.waitlist.is_empty());
        let charges: Vec<(Uuid, ChargeKind, bool)> =
            spin_now.charges.iter().map(|c| (c.member, c.kind, c.waived.is_some())).collect();
        assert_eq!(
            charges,
            [
                (cleo.id, ChargeKind::LateCancel, true),
                (dan.id, ChargeKind::NoShow, false),
                (eve.id, ChargeKind::NoShow, false)
            ]
        );
        assert!(office.class(YOGA).cancelled.is_some());
        let visits = |m| office.member(m).membership(CARD).map(|c| c.visits_used);
        assert_eq!((visits(anna), visits(cleo)), (Some(1), Some(0)), "attended: used; waived: given back");
        assert_read_models_fold_the_log(&server).await;
        let served = served_read_models(&server).await;
        let row: Class = shared::projection::state_from(&served.streams[&spin].1).unwrap();
        assert_eq!(row, spin_now, "the classes row is the class as the devices fold it");
    })
    .await;
}

/// Scheduling is a manager's, booking without a membership too; a coach takes attendance of their
/// own classes only. Each refused whole with 403, naming the event; nothing is stored.
#[tokio::test]
async fn the_front_desk_may_not_schedule_or_override_and_a_coach_marks_only_their_own_classes() {
    each_server("classes_roles", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut desk = Desk::open(&server, "front-desk", accounts::DESK).await;
        let mut phone = Desk::open(&server, "coach-phone", accounts::COACH).await;
        let anna = member(1);
        members(&server, &mut desk, &[(1, "Anna", Holds::Card)]).await;
        // Yoga is the manager's own class; Spin the coach's.
        scheduled(&server, &mut office, YOGA, details("Yoga", accounts::MANAGER, 8), &mut []).await;
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 8), &mut []).await;
        desk.pull(&server).await;
        for id in [YOGA, SPIN] {
            desk.does(class(id), book_on(anna, CARD), minute(20));
        }
        let (status, body) = desk.push(&server, &[class(YOGA), class(SPIN)]).await;
        assert_status(status, &body, "accepted");
        phone.pull(&server).await;
        let before = server.log().await;

        let refused = async |desk: &mut Desk, stream: StreamId, code: &str, says: &str, what: &str| {
            let pending: Vec<EventEnvelope> =
                desk.device.pending().into_iter().filter(|e| e.stream == stream).collect();
            let (status, body) = desk.push(&server, &[stream]).await;
            assert_eq!((status, body["error"]["code"].as_str()), (403, Some(code)), "{what}: {body}");
            assert_eq!(body["error"]["event"], json!(pending[0].id), "{what}: the refused change is named");
            let message = body["error"]["message"].as_str().unwrap_or_default().to_owned();
            assert!(message.contains(says), "{what}: {message:?} says {says:?}");
            assert_eq!(server.log().await, before, "{what}: nothing stored");
            desk.device.apply(StoreOp::Reject { stream, server_events: vec![], reason: message }, T0);
        };
        desk.does(class(Uuid::from_u128(0x77)), schedule(details("Boxing", accounts::DESK, 8)), minute(30));
        let forbidden = Forbidden { role: Role::FrontDesk, permission: Permission::Timetable }.to_string();
        refused(&mut desk, class(Uuid::from_u128(0x77)), "forbidden", &forbidden, "a desk schedules").await;
        let bob = member(2);
        desk.does(
            class(SPIN),
            ClassCommand::Book {
                member: bob.id,
                membership: None,
                override_reason: Some("a friend".into()),
                over_capacity: None,
            },
            minute(31),
        );
        let forbidden = Forbidden { role: Role::FrontDesk, permission: Permission::Override }.to_string();
        refused(&mut desk, class(SPIN), "forbidden", &forbidden, "a desk books without a membership").await;

        let mark = ClassCommand::MarkAttendance { member: anna.id, attended: true };
        phone.does(class(YOGA), mark.clone(), START - 30 * 60_000);
        refused(&mut phone, class(YOGA), "not_own_class", "own classes only", "a coach marks another's class").await;
        phone.does(anna, use_visit(YOGA, None), START - 29 * 60_000);
        refused(&mut phone, anna, "not_own_class", "own classes only", "a coach uses a visit for another's class")
            .await;
        phone.does(class(YOGA), ClassCommand::SubmitAttendance, START + 61 * 60_000);
        refused(&mut phone, class(YOGA), "not_own_class", "own classes only", "a coach submits another's class").await;

        // Their own class, they may.
        phone.does(class(SPIN), mark, START - 30 * 60_000);
        phone.does(anna, use_visit(SPIN, None), START - 29 * 60_000);
        let (status, body) = phone.push(&server, &[class(SPIN), anna]).await;
        assert_status(status, &body, "accepted");
    })
    .await;
}

/// A push built on the class's head whose event a rule forbids there (what a client with a bug, or
/// a forger, would send), or that does not hold against the club's settings: 422 `rule_broken`,
/// naming the event; nothing is stored.
#[tokio::test]
async fn a_class_change_a_rule_forbids_is_refused_with_rule_broken_and_the_log_is_unchanged() {
    each_server("classes_rules", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut desk = Desk::open(&server, "front-desk", accounts::DESK).await;
        let anna = member(1);
        members(&server, &mut desk, &[(1, "Anna", Holds::Month)]).await;
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 8), &mut [&mut desk]).await;
        let before = server.log().await;

        let late = ClassEvent::ClassBooked {
            member: anna.id,
            membership: Some(MONTHLY),
            at_ms: START + 60_000,
            override_reason: None,
            over_capacity: None,
        };
        let request = desk.forged(class(SPIN), 1, &late, START + 60_000);
        let (status, body) = desk.send(&server, &request).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        assert_eq!(body["error"]["event"], json!(request.batches[0].events[0].id));
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.ends_with(&ClassError::Started.to_string()), "{message:?}");
        assert_eq!(server.log().await, before, "a booking of a class that started: nothing stored");

        // Dated by UTC's day-before, not the club's: the device's check allows a day either way
        // (it may not know the zone); the server holds it to the club's.
        let (monday, tuesday) = (day_of(START).add_days(-1), day_of(START));
        let yesterday = ClassDetails { day: monday, ..details("Yoga", accounts::COACH, 8) };
        office.does(class(YOGA), schedule(yesterday), minute(30));
        let (status, body) = office.push(&server, &[class(YOGA)]).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(&format!("starts on {tuesday}")), "{message:?}");
        assert_eq!(server.log().await, before, "a class dated another day: nothing stored");
        office.device.apply(StoreOp::Reject { stream: class(YOGA), server_events: vec![], reason: String::new() }, T0);

        let looser = Cutoffs { waitlist_min: 30, cancel_min: 60 };
        office.does(
            class(YOGA),
            ClassCommand::ScheduleClass { details: details("Yoga", accounts::COACH, 8), cutoffs: looser },
            minute(31),
        );
        let (status, body) = office.push(&server, &[class(YOGA)]).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("cutoffs other than the club's"), "{body}");
        assert_eq!(server.log().await, before, "a class with cutoffs of its own: nothing stored");
        office.device.apply(StoreOp::Reject { stream: class(YOGA), server_events: vec![], reason: String::new() }, T0);

        // A coach is one of the club's staff: a made-up id would leave the class without its coach.
        let stranger = StaffId(Uuid::from_u128(0xdead));
        office.does(class(YOGA), schedule(details("Yoga", stranger, 8)), minute(32));
        let (status, body) = office.push(&server, &[class(YOGA)]).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("is not on this club's staff"), "{body}");
        assert_eq!(server.log().await, before, "a class coached by a stranger: nothing stored");
        office.device.apply(StoreOp::Reject { stream: class(YOGA), server_events: vec![], reason: String::new() }, T0);
        // Nor is a class given one by a move; a move that keeps its coach stands.
        let moved = |coach| ClassCommand::RescheduleClass {
            details: details("Spin", coach, 9),
            skipped: vec![],
            released: vec![],
        };
        office.does(class(SPIN), moved(stranger), minute(33));
        let (status, body) = office.push(&server, &[class(SPIN)]).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        assert_eq!(server.log().await, before, "a class moved to a stranger: nothing stored");
        office.device.apply(StoreOp::Reject { stream: class(SPIN), server_events: vec![], reason: String::new() }, T0);
        office.does(class(SPIN), moved(accounts::COACH), minute(34));
        let (status, body) = office.push(&server, &[class(SPIN)]).await;
        assert_eq!(status, 200, "{body}");

        // A booking stamped days before the class it builds on was scheduled: no device that had
        // seen the class made it then (a clock set back, or a made-up stamp to escape a cutoff).
        let log = server.log().await;
        let head = log.iter().filter(|e| e.stream == class(SPIN)).count() as u64;
        let days_before = T0 - 3 * 86_400_000;
        let backdated = ClassEvent::ClassBooked {
            member: anna.id,
            membership: Some(MONTHLY),
            at_ms: days_before,
            override_reason: None,
            over_capacity: None,
        };
        let request = desk.forged(class(SPIN), head, &backdated, days_before);
        let (status, body) = desk.send(&server, &request).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        assert_eq!(body["error"]["event"], json!(request.batches[0].events[0].id));
        assert!(body["error"]["message"].as_str().unwrap().contains(&format!("min before version {head}")), "{body}");
        assert_eq!(server.log().await, log, "a booking stamped before what it was built on: nothing stored");
    })
    .await;
}

/// ISSUE 13: "two offline desks will book the same last spot". The first booking to arrive takes
/// it; the second is re-decided on the class as it now is and stored as a waitlist entry under
/// the same id, answered to that desk, whose staff are told.
#[tokio::test]
async fn two_desks_booking_the_last_spot_from_the_same_parent_end_with_one_booked_and_one_waitlisted() {
    each_server("classes_last_spot", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let mut gym = Desk::open(&server, "gym-floor", accounts::DESK).await;
        let (anna, bob) = (member(1), member(2));
        members(&server, &mut front, &[(1, "Anna", Holds::Month), (2, "Bob", Holds::Month)]).await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 1), &mut [&mut front, &mut gym]).await;

        // Both offline: each sees a free spot and books its member.
        front.does(spin, book(anna), minute(30));
        gym.does(spin, book(bob), minute(31));
        let (status, body) = front.push(&server, &[spin]).await;
        assert_status(status, &body, "accepted");
        let request = gym.push_of(&[spin]);
        let sent = request.batches[0].events[0].id;
        let (status, body) = gym.send(&server, &request).await;
        assert_status(status, &body, "merged");
        assert_eq!(
            stored::<ClassEvent>(&body, 0),
            [ClassEvent::ClassWaitlisted {
                member: bob.id,
                membership: Some(MONTHLY),
                at_ms: minute(31),
                override_reason: None
            }]
        );
        assert_eq!(result(&body, 0)["events"][0]["id"], json!(sent), "the same event, stored as what it became");
        assert!(gym.told_of(sent), "the gym's staff are told Bob waits");

        // The answer was lost: the same push again is answered with what was stored.
        let (status, again) = gym.send_only(&server, &request).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(result(&again, 0)["events"], result(&body, 0)["events"]);

        for desk in [&mut front, &mut gym] {
            desk.pull(&server).await;
            let now = desk.class(SPIN);
            let booked: Vec<Uuid> = now.bookings.iter().map(|b| b.member).collect();
            let waiting: Vec<Uuid> = now.waitlist.iter().map(|w| w.member).collect();
            assert_eq!((booked, waiting), (vec![anna.id], vec![bob.id]), "{}", desk.device.device);
        }
        assert_eq!(front.class(SPIN), gym.class(SPIN));
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}

/// DOMAIN.md: "no booking while frozen"; ISSUE 13: a rule that spans aggregates is re-checked by
/// the server at append, and "when it no longer holds, the server appends a compensating event —
/// never a silent drop". A desk that had not seen a freeze books the member: the booking is stored
/// as refused, with the reason, and the desk's staff are told. A desk that sells a membership and
/// books on it in one push is not refused.
#[tokio::test]
async fn a_booking_for_a_member_frozen_on_the_server_meanwhile_is_stored_as_refused_with_the_reason() {
    each_server("classes_frozen", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let mut gym = Desk::open(&server, "gym-floor", accounts::DESK).await;
        let anna = member(1);
        members(&server, &mut front, &[(1, "Anna", Holds::Month)]).await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 8), &mut [&mut front, &mut gym]).await;

        // The front desk freezes Anna's month from Tuesday, the class's day, for a week.
        let (from, until) = (day_of(START), day_of(START).add_days(6));
        front.does(anna, MemberCommand::FreezeMembership { membership: MONTHLY, from, until, on: today() }, minute(30));
        let (status, body) = front.push(&server, &[anna]).await;
        assert_status(status, &body, "accepted");

        // The gym had not pulled it: Anna can attend as far as it knows.
        assert!(shared::class::can_attend(&gym.member(anna), day_of(START), &Default::default()).is_ok());
        gym.does(spin, book(anna), minute(31));
        let request = gym.push_of(&[spin]);
        let sent = request.batches[0].events[0].id;
        let (status, body) = gym.send(&server, &request).await;
        assert_status(status, &body, "rebased");
        let refused = ClassEvent::BookingRefused {
            member: anna.id,
            at_ms: minute(31),
            reason: Refused::Denied { denial: Denial::Frozen { until } },
        };
        assert_eq!(stored::<ClassEvent>(&body, 0), [refused]);
        assert_eq!(result(&body, 0)["events"][0]["id"], json!(sent));
        assert!(gym.told_of(sent), "the gym's staff are told Anna is not booked, and why");
        let (status, again) = gym.send_only(&server, &request).await;
        assert_eq!(status, 200, "a retry: {again}");
        assert_eq!(result(&again, 0)["events"], result(&body, 0)["events"], "the same stored answer");

        for desk in [&mut front, &mut gym] {
            desk.pull(&server).await;
            let now = desk.class(SPIN);
            assert!(now.bookings.is_empty() && now.waitlist.is_empty(), "{}", desk.device.device);
            assert_eq!(now.refused, [(anna.id, Refused::Denied { denial: Denial::Frozen { until } })]);
        }
        front.pull(&server).await;

        // Bea, frozen too, is booked and then her booking cancelled (she changed her mind) in one
        // push: refused, the cancellation is recorded as a repeat of what did not happen.
        let bea = member(2);
        front.does(bea, register("Bea"), minute(32));
        front.does(bea, sell_monthly(), minute(32));
        front.does(bea, MemberCommand::FreezeMembership { membership: MONTHLY, from, until, on: today() }, minute(32));
        let (status, body) = front.push(&server, &[bea]).await;
        assert_status(status, &body, "accepted");
        gym.does(spin, book(bea), minute(33));
        gym.does(spin, ClassCommand::CancelBooking { member: bea.id, skipped: vec![] }, minute(34));
        let (status, body) = gym.push(&server, &[spin]).await;
        assert_status(status, &body, "rebased");
        assert_eq!(
            stored::<ClassEvent>(&body, 0),
            [
                ClassEvent::BookingRefused {
                    member: bea.id,
                    at_ms: minute(33),
                    reason: Refused::Denied { denial: Denial::Frozen { until } }
                },
                ClassEvent::ClassChangeRepeated {
                    member: Some(bea.id),
                    at_ms: minute(34),
                    change: shared::class::RepeatedChange::BookingCancelled
                },
            ]
        );

        // A walk-in: registered, sold a month and booked on it at the gym, in one push (the
        // class's batch first): the sale counts.
        let finn = member(6);
        gym.does(finn, register("Finn"), minute(40));
        gym.does(finn, sell_monthly(), minute(40));
        gym.does(spin, book(finn), minute(41));
        let (status, body) = gym.push(&server, &[spin, finn]).await;
        assert_status(status, &body, "accepted");
        assert_eq!(result(&body, 0)["events"][0]["type"], "ClassBooked");
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}

/// DOMAIN.md: "a member who cannot attend is skipped". The desk that cancelled a booking saw the
/// first member waiting as able to attend; the server holds their freeze: the spot goes to the
/// next in line, the cancellation records the member passed over and why.
#[tokio::test]
async fn a_cancellation_whose_promotion_goes_to_a_member_who_cannot_attend_skips_them_for_the_next_in_line() {
    each_server("classes_skip", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let mut gym = Desk::open(&server, "gym-floor", accounts::DESK).await;
        let (anna, bob, cleo) = (member(1), member(2), member(3));
        let who = [(1, "Anna", Holds::Month), (2, "Bob", Holds::Month), (3, "Cleo", Holds::Month)];
        members(&server, &mut front, &who).await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 1), &mut [&mut front]).await;
        for (n, m) in [anna, bob, cleo].into_iter().enumerate() {
            front.does(spin, book(m), minute(20 + n as u64));
        }
        let (status, body) = front.push(&server, &[spin]).await;
        assert_status(status, &body, "accepted");
        gym.pull(&server).await;
        let (from, until) = (day_of(START), day_of(START).add_days(6));
        front.does(bob, MemberCommand::FreezeMembership { membership: MONTHLY, from, until, on: today() }, minute(30));
        let (status, body) = front.push(&server, &[bob]).await;
        assert_status(status, &body, "accepted");

        // The gym cancels Anna's booking before the waitlist cutoff: Bob is first in line as it sees him.
        gym.does(spin, ClassCommand::CancelBooking { member: anna.id, skipped: vec![] }, minute(40));
        assert_eq!(gym.class(SPIN).bookings[0].member, bob.id, "the gym promotes Bob");
        let request = gym.push_of(&[spin]);
        let (status, body) = gym.send(&server, &request).await;
        assert_status(status, &body, "rebased");
        assert_eq!(
            stored::<ClassEvent>(&body, 0),
            [ClassEvent::BookingCancelled {
                member: anna.id,
                at_ms: minute(40),
                late: false,
                skipped: vec![Skip { member: bob.id, denial: Denial::Frozen { until } }],
            }]
        );
        let (status, again) = gym.send_only(&server, &request).await;
        assert_eq!(status, 200, "a retry: {again}");
        assert_eq!(result(&again, 0)["events"], result(&body, 0)["events"], "the same stored answer");

        for desk in [&mut front, &mut gym] {
            desk.pull(&server).await;
            let now = desk.class(SPIN);
            assert_eq!(now.bookings.len(), 1, "{}", desk.device.device);
            assert_eq!(now.bookings[0].member, cleo.id, "{}: Cleo, next in line, has the spot", desk.device.device);
            assert!(matches!(now.bookings[0].via, Via::Promoted { automatic: true, .. }));
            assert_eq!(now.waitlist.len(), 1);
            assert_eq!(
                (now.waitlist[0].member, now.waitlist[0].skipped),
                (bob.id, Some(Denial::Frozen { until })),
                "{}: Bob still waits, passed over and why",
                desk.device.device
            );
        }
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}

/// A class moved to another day keeps only the bookings of members who can attend on it, by the
/// server's reading of their memberships: the office had not seen Bob's freeze of Wednesday (so
/// it kept him) and wrongly thought Anna unable (so it released her). The server releases Bob,
/// keeps Anna, Cleo moves up, and every desk ends with the same roster.
#[tokio::test]
async fn a_class_moved_to_another_day_releases_the_bookings_of_members_who_cannot_attend_then() {
    each_server("classes_moved", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let (anna, bob, cleo) = (member(1), member(2), member(3));
        let who = [(1, "Anna", Holds::Month), (2, "Bob", Holds::Month), (3, "Cleo", Holds::Month)];
        members(&server, &mut front, &who).await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 2), &mut [&mut front]).await;
        for (n, m) in [anna, bob, cleo].into_iter().enumerate() {
            front.does(spin, book(m), minute(20 + n as u64));
        }
        let (status, body) = front.push(&server, &[spin]).await;
        assert_status(status, &body, "accepted");
        office.pull(&server).await;
        let wednesday = day_of(START).add_days(1);
        let until = wednesday.add_days(6);
        let freeze = MemberCommand::FreezeMembership { membership: MONTHLY, from: wednesday, until, on: today() };
        front.does(bob, freeze, minute(30));
        let (status, body) = front.push(&server, &[bob]).await;
        assert_status(status, &body, "accepted");

        let moved =
            ClassDetails { start_ms: START + 24 * 60 * 60_000, day: wednesday, ..details("Spin", accounts::COACH, 2) };
        let released = vec![Skip { member: anna.id, denial: Denial::Blocked }];
        office.does(
            spin,
            ClassCommand::RescheduleClass { details: moved.clone(), skipped: vec![], released },
            minute(40),
        );
        let request = office.push_of(&[spin]);
        let (status, body) = office.send(&server, &request).await;
        assert_status(status, &body, "rebased");
        let frozen = Denial::Frozen { until };
        assert_eq!(
            stored::<ClassEvent>(&body, 0),
            [ClassEvent::ClassRescheduled {
                details: moved,
                at_ms: minute(40),
                skipped: vec![],
                released: vec![Skip { member: bob.id, denial: frozen }],
            }]
        );
        let (status, again) = office.send_only(&server, &request).await;
        assert_eq!(status, 200, "a retry: {again}");
        assert_eq!(result(&again, 0)["events"], result(&body, 0)["events"], "the same stored answer");
        for desk in [&mut office, &mut front] {
            desk.pull(&server).await;
            let now = desk.class(SPIN);
            let roster: Vec<Uuid> = now.bookings.iter().map(|b| b.member).collect();
            assert_eq!(roster, [anna.id, cleo.id], "{}: Anna stays, Cleo moves up", desk.device.device);
            assert!(now.waitlist.is_empty());
            assert_eq!(
                now.refused,
                [(bob.id, Refused::Denied { denial: frozen })],
                "{}: Bob's release says why",
                desk.device.device
            );
        }
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}

/// ISSUE 13: "a coach marks attendance offline and a card visit is consumed once". The coach's
/// phone marks the member and uses a visit of their card in one push; the front desk, from the
/// same parents, does the same: both stand as one attendance and one visit, the desk's recorded as
/// repeats.
#[tokio::test]
async fn a_coach_marks_attendance_on_their_class_and_the_card_visit_is_used_once() {
    each_server("classes_coach", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let mut phone = Desk::open(&server, "coach-phone", accounts::COACH).await;
        let anna = member(1);
        members(&server, &mut front, &[(1, "Anna", Holds::Card)]).await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 8), &mut [&mut front]).await;
        front.does(spin, book_on(anna, CARD), minute(20));
        let (status, body) = front.push(&server, &[spin]).await;
        assert_status(status, &body, "accepted");
        phone.pull(&server).await;
        front.pull(&server).await;

        let mark = ClassCommand::MarkAttendance { member: anna.id, attended: true };
        for desk in [&mut phone, &mut front] {
            desk.does(spin, mark.clone(), START - 20 * 60_000);
            desk.does(anna, use_visit(SPIN, None), START - 20 * 60_000);
        }
        let (status, body) = phone.push(&server, &[spin, anna]).await;
        assert_status(status, &body, "accepted");
        assert_eq!(
            stored::<MemberEvent>(&body, 1)[0],
            MemberEvent::ClassVisitUsed { class: SPIN, membership: CARD, on: day_of(START), charge: None }
        );
        let (status, body) = front.push(&server, &[spin, anna]).await;
        assert_eq!(status, 200, "{body}");
        assert!(matches!(stored::<ClassEvent>(&body, 0)[..], [ClassEvent::ClassChangeRepeated { .. }]), "{body}");
        assert_eq!(
            stored::<MemberEvent>(&body, 1),
            [MemberEvent::MemberChangeRepeated { change: Repeated::ClassVisit { class: SPIN } }]
        );
        for desk in [&mut front, &mut phone] {
            desk.pull(&server).await;
            assert!(desk.class(SPIN).bookings[0].attended);
            let card = desk.member(anna).membership(CARD).cloned().unwrap();
            assert_eq!((card.visits_used, card.class_visits), (1, vec![SPIN]), "{}: one visit", desk.device.device);
        }
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}

/// A correction can leave a later event of the same batch with no rule to join by: the gym booked
/// Anna (frozen on the server meanwhile) into the last spot, put Bob on the waitlist and then took
/// him off it. Anna's booking refused, Bob's entry becomes a booking and "left the waitlist" has
/// nothing to leave: the class's batch goes back to the gym's inbox, as a concurrent batch that
/// cannot join does, and the rest of the push stands (not a 422 for all of it).
#[tokio::test]
async fn a_class_batch_the_recheck_leaves_unjoinable_is_rejected_alone_and_the_rest_of_the_push_stands() {
    each_server("classes_recheck_conflict", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let mut gym = Desk::open(&server, "gym-floor", accounts::DESK).await;
        let (anna, bob, cleo) = (member(1), member(2), member(3));
        members(&server, &mut front, &[(1, "Anna", Holds::Month), (2, "Bob", Holds::Month)]).await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 1), &mut [&mut front, &mut gym]).await;
        let (from, until) = (day_of(START), day_of(START).add_days(6));
        front.does(anna, MemberCommand::FreezeMembership { membership: MONTHLY, from, until, on: today() }, minute(30));
        let (status, body) = front.push(&server, &[anna]).await;
        assert_status(status, &body, "accepted");

        gym.does(spin, book(anna), minute(31));
        gym.does(spin, book(bob), minute(32));
        gym.does(spin, ClassCommand::LeaveWaitlist { member: bob.id }, minute(33));
        gym.does(cleo, register("Cleo"), minute(34));
        let (status, body) = gym.push(&server, &[spin, cleo]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(result(&body, 0)["status"], "rejected", "{body}");
        assert!(result(&body, 0)["reason"].as_str().is_some_and(|r| !r.is_empty()), "the desk is told why: {body}");
        assert_eq!(result(&body, 1)["status"], "accepted", "{body}");
        assert_eq!(gym.device.inbox().len(), 3, "the class's three changes wait in the gym's inbox");

        front.pull(&server).await;
        let now = front.class(SPIN);
        assert!(now.bookings.is_empty() && now.waitlist.is_empty(), "nothing of the class's batch is stored");
        assert_eq!(front.member(cleo).name, "Cleo", "Cleo is registered");
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}

/// The re-check judges a member with the visit the class itself used given back: a walk-in sold a
/// one-visit card, booked, marked and charged that visit in one push still holds their booking
/// (the card's last visit went to this very class, not to another one).
#[tokio::test]
async fn a_booking_whose_cards_last_visit_its_own_attendance_used_in_the_same_push_stands() {
    each_server("classes_own_visit", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 8), &mut [&mut front]).await;
        let dora = member(4);
        // Sold and booked on Monday; the class on Tuesday, attendance taken 20 minutes before it.
        front.does(dora, register("Dora"), minute(10));
        front.does(dora, sell(CARD, CARD_PLAN, card_of(1)), minute(10));
        front.does(dora, pay(CARD, 9_000), minute(10));
        front.does(spin, book_on(dora, CARD), minute(11));
        let at = START - 20 * 60_000;
        front.does(spin, ClassCommand::MarkAttendance { member: dora.id, attended: true }, at);
        front.does(dora, use_visit(SPIN, None), at);
        let (status, body) = front.push(&server, &[dora, spin]).await;
        assert_status(status, &body, "accepted");
        assert_eq!(result(&body, 1)["events"][0]["type"], "ClassBooked", "{body}");
        front.pull(&server).await;
        let now = front.class(SPIN);
        assert_eq!((now.bookings.len(), now.bookings[0].attended), (1, true), "Dora is booked and attended");
        let card = front.member(dora).membership(CARD).cloned().unwrap();
        assert_eq!((card.visits_used, card.class_visits), (1, vec![SPIN]), "her one visit, used by this class");
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}

/// The re-check reads each member as the append transaction sees them: a sale stored by an earlier
/// push of the same group counts; another club's member is no member here (a booking of them is
/// refused whole, as of anyone never registered). An import (or the
/// demo) stores a log whose bookings were settled when first stored: not checked again.
#[tokio::test]
async fn the_recheck_reads_members_as_the_transaction_sees_them_and_leaves_imports_alone() {
    use backends::{each_backend, CLUB, OTHER_CLUB};
    use server::store::Commit;
    each_backend("classes_recheck_store", async |store, _| {
        let spin = class(SPIN);
        let mut office = desk("office", 1);
        office.execute::<Class>(spin, schedule(details("Spin", accounts::COACH, 8)), minute(5)).unwrap();
        let done = store.push_group(CLUB, &[push_of(&office, spin, 0)], T0, Commit::EachPush).await.unwrap();
        assert_eq!(done.appended().len(), 1);
        let mut front = desk("front", 2);
        front.apply(StoreOp::Apply { events: store.pull(CLUB, 0, 10).await.unwrap(), cursor: 1 }, T0);

        // Anna's sale and her booking in two pushes that the writer commits in one group.
        let anna = member(1);
        front.execute::<Member>(anna, register("Anna"), minute(10)).unwrap();
        front.execute::<Member>(anna, sell_monthly(), minute(10)).unwrap();
        front.execute::<Class>(spin, book(anna), minute(11)).unwrap();
        let group = [push_of(&front, anna, 0), push_of(&front, spin, 1)];
        let done = store.push_group(CLUB, &group, T0, Commit::EachPush).await.unwrap();
        let booked = &done.outcomes[1].as_ref().expect("stored")[0];
        assert_eq!((booked.status, booked.events[0].event_type.as_str()), (BatchStatus::Accepted, "ClassBooked"));

        // Bob holds a month at another club.
        let bob = member(2);
        let elsewhere = device_with("elsewhere", bob, vec![register("Bob"), sell_monthly()]);
        store.push_group(OTHER_CLUB, &[push_of(&elsewhere, bob, 0)], T0, Commit::EachPush).await.unwrap();
        front.execute::<Class>(spin, book(bob), minute(12)).unwrap();
        let done = store.push_group(CLUB, &[push_of(&front, spin, 2)], T0, Commit::EachPush).await.unwrap();
        let refused = done.outcomes[0].as_ref().expect_err("refused: Bob is no member of this club");
        assert!(refused.to_string().contains("is not a member of this club"), "{refused}");
        assert!(done.appended().is_empty(), "nothing stored");

        // An imported log books Cleo, whom this log does not know: stored as it was.
        let mut imported = desk("imported", 3);
        imported.apply(StoreOp::Apply { events: store.pull(CLUB, 0, 100).await.unwrap(), cursor: 5 }, T0);
        let head = imported.load::<Class>(spin).1;
        imported.execute::<Class>(spin, book(member(3)), minute(13)).unwrap();
        let done = store.push_group(CLUB, &[push_of(&imported, spin, head)], T0, Commit::AllOrNothing).await.unwrap();
        let kept = &done.outcomes[0].as_ref().expect("stored")[0];
        assert_eq!((kept.status, kept.events[0].event_type.as_str()), (BatchStatus::Accepted, "ClassBooked"));
    })
    .await;
}

/// DOMAIN.md "Classes": a card visit is consumed by attendance, or by a late cancel or no-show not
/// waived. The visit lives in the member's stream, the attendance in the class's: the server holds
/// every visit a device's push uses to its class as the push leaves it. Two offline desks booked
/// the last spot; the gym also marked Bob attended and used his card's visit. The gym's class batch
/// cannot join (Bob waits; "attended" has no booking) and goes to its inbox; his visit is stored as
/// not used, and the gym is told. A visit for a class that does not exist, and
/// a booking naming a card that is not the member's, do not stand either.
#[tokio::test]
async fn a_card_visit_stands_only_where_the_class_records_what_it_was_used_for() {
    each_server("classes_visit_recheck", async |server| {
        let mut office = Desk::open(&server, "office", accounts::MANAGER).await;
        let mut front = Desk::open(&server, "front-desk", accounts::DESK).await;
        let mut gym = Desk::open(&server, "gym-floor", accounts::DESK).await;
        let (anna, bob, cleo) = (member(1), member(2), member(3));
        members(&server, &mut front, &[(1, "Anna", Holds::Card), (2, "Bob", Holds::Card), (3, "Cleo", Holds::Card)])
            .await;
        let spin = class(SPIN);
        scheduled(&server, &mut office, SPIN, details("Spin", accounts::COACH, 1), &mut [&mut front, &mut gym]).await;
        gym.pull(&server).await;

        // Both offline: the front desk books Anna; the gym books Bob, and marks him in at the door.
        front.does(spin, book_on(anna, CARD), START - 50 * 60_000);
        gym.does(spin, book_on(bob, CARD), START - 45 * 60_000);
        gym.does(spin, ClassCommand::MarkAttendance { member: bob.id, attended: true }, START - 20 * 60_000);
        gym.does(bob, use_visit(SPIN, None), START - 20 * 60_000);
        let (status, body) = front.push(&server, &[spin]).await;
        assert_status(status, &body, "accepted");
        let request = gym.push_of(&[spin, bob]);
        let visit = request.batches[1].events[0].id;
        let (status, body) = gym.send(&server, &request).await;
        assert_eq!(status, 200, "{body}");
        // Bob waits, and "attended" has no booking to mark: the class's batch goes to the gym's inbox.
        assert_eq!(result(&body, 0)["status"], "rejected", "{body}");
        assert_eq!(gym.device.inbox().len(), 2, "the booking and the attendance wait in the gym's inbox");
        assert_eq!(result(&body, 1)["status"], "rebased", "{body}");
        assert_eq!(
            stored::<MemberEvent>(&body, 1),
            [MemberEvent::ClassVisitNotCounted {
                class: SPIN,
                membership: CARD,
                on: day_of(START),
                reason: VisitNotCounted::NotInClass
            }]
        );
        assert!(gym.told_of(visit), "the gym's staff are told Bob's visit was not used");
        // The answer was lost: the same push again is answered with what was stored.
        let (status, again) = gym.send_only(&server, &request).await;
        assert_eq!(status, 200, "{again}");
        assert_eq!(result(&again, 1)["events"], result(&body, 1)["events"]);

        // A visit for a class that was never scheduled is not used either.
        let nowhere = Uuid::from_u128(0x404);
        front.pull(&server).await;
        front.does(cleo, use_visit(nowhere, None), START - 10 * 60_000);
        let (status, body) = front.push(&server, &[cleo]).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            matches!(
                stored::<MemberEvent>(&body, 0)[..],
                [MemberEvent::ClassVisitNotCounted { reason: VisitNotCounted::NotInClass, .. }]
            ),
            "{body}"
        );

        // A booking naming a card that is not Cleo's is refused at append: a visit would be used of
        // nobody's card when she attends.
        front.does(class(SPIN), book_on(cleo, Uuid::from_u128(0xbad)), START - 55 * 60_000);
        let (status, body) = front.push(&server, &[spin]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            stored::<ClassEvent>(&body, 0),
            [ClassEvent::BookingRefused {
                member: cleo.id,
                at_ms: START - 55 * 60_000,
                reason: Refused::Denied { denial: Denial::NoMembership }
            }]
        );

        // A booking of someone who was never registered is refused whole, naming the event: a
        // class's record of refusals does not fill with made-up people.
        let log_before = server.log().await;
        let ghost = member(99);
        front.pull(&server).await;
        // The class is full: a booking is a waitlist entry.
        let ghost_booked = ClassEvent::ClassWaitlisted {
            member: ghost.id,
            membership: Some(CARD),
            at_ms: START - 50 * 60_000,
            override_reason: None,
        };
        let request = front.forged(spin, front.device.load::<Class>(spin).1, &ghost_booked, START - 50 * 60_000);
        let (status, body) = front.send_only(&server, &request).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("not a member of this club"), "{body}");
        assert_eq!(body["error"]["event"], json!(request.batches[0].events[0].id));
        assert_eq!(server.log().await, log_before, "nothing stored");
        // Nor may anyone else's event name a made-up person: a manager's override booking, or a
        // refusal (the server's to write) offered by a client.
        let overridden = ClassEvent::ClassWaitlisted {
            member: ghost.id,
            membership: None,
            at_ms: START - 50 * 60_000,
            override_reason: Some("trial".into()),
        };
        let invented = ClassEvent::BookingRefused {
            member: ghost.id,
            at_ms: START - 50 * 60_000,
            reason: Refused::Denied { denial: Denial::NoMembership },
        };
        office.pull(&server).await;
        for event in [overridden, invented] {
            let request = office.forged(spin, office.device.load::<Class>(spin).1, &event, START - 50 * 60_000);
            let (status, body) = office.send_only(&server, &request).await;
            assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{event:?}: {body}");
            assert_eq!(server.log().await, log_before, "{event:?}: nothing stored");
        }
        // A client's own "not counted" must be true: Anna's attendance is not on record, so hers
        // would be; marked attended, it is refused.
        let not_counted = MemberEvent::ClassVisitNotCounted {
            class: SPIN,
            membership: CARD,
            on: day_of(START),
            reason: VisitNotCounted::NotInClass,
        };
        front.does(spin, ClassCommand::MarkAttendance { member: anna.id, attended: true }, START - 15 * 60_000);
        let (status, body) = front.push(&server, &[spin]).await;
        assert_status(status, &body, "accepted");
        let request = front.forged(anna, front.device.load::<Member>(anna).1, &not_counted, START - 14 * 60_000);
        let (status, body) = front.send_only(&server, &request).await;
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("rule_broken")), "{body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("it counts"), "{body}");

        for desk in [&mut front, &mut gym] {
            desk.pull(&server).await;
            for who in [bob, cleo] {
                let card = desk.member(who).membership(CARD).cloned().unwrap();
                assert_eq!(card.visits_used, 0, "{}: no visit of {who} used", desk.device.device);
            }
        }
        assert_eq!(front.class(SPIN), gym.class(SPIN));
        assert_read_models_fold_the_log(&server).await;
    })
    .await;
}
