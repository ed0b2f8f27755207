//! The browser store against its reference, `MemoryDevice`: the same operations on both, then the
//! same events in the same states, the same push order, the same projections. Run in Chromium:
//! `cargo test -p frontend --lib --target wasm32-unknown-unknown` with `wasm-bindgen-test-runner`
//! as the target's runner and chromedriver on PATH (see `frontend/webdriver.json`).

use super::{schema, Changes, OpenHooks, Store};
use crate::browser;
use app::client::{EventState, InboxKind, MemberRow, Settle};
use shared::{
    access::{Actor, Role, StaffId},
    aggregate::DomainEvent,
    calendar::Date,
    club::{Length, PlanTerms, Visits},
    member::{EntryRules, Member, MemberCommand, MemberEvent, NotCounted, Start},
    projection::ReadModels,
    protocol::LogEpoch,
    replication::{
        memory::{LocalEvent, LocalState, MemoryDevice},
        StoreOp,
    },
    Command, EventEnvelope, StreamId,
};
use std::collections::HashSet;
use uuid::Uuid;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// 2025-11-24 16:00 UTC.
const NOW: u64 = 1_764_000_000_000;
/// The membership [`sell_monthly`] sells.
const MONTHLY: Uuid = Uuid::from_u128(0xa1);
/// The staff member at this desk in every test: the front desk keeps members and check-ins.
const DESK: Actor = Actor { staff: StaffId(Uuid::from_u128(70)), role: Role::FrontDesk };

/// A fresh store in a randomly named database, and the reference fed the same operations.
struct Twins {
    store: Store,
    reference: MemoryDevice,
    /// The store's database, to open it again.
    name: String,
}

impl Twins {
    async fn new() -> Self {
        let name = format!("faraday-test-{}", Uuid::from_bytes(browser::random_bytes()));
        let hooks = OpenHooks { blocked: Box::new(|| {}), replaced: Box::new(|| {}) };
        let store = Store::open_named(&name, schema::db_version(), hooks).await.expect("the store opens");
        // The reference is this same device: what it tells its staff depends on whose events are whose.
        let reference = MemoryDevice::new(store.device().as_str(), 1);
        Self { store, reference, name }
    }

    /// A command decided and stored by the store; the reference gets the very same events.
    async fn execute(&mut self, member: Uuid, command: MemberCommand, now_ms: u64) {
        let stream = StreamId::member(member);
        self.store.execute(stream, Command::Member(command), DESK, now_ms).await.expect("decided and stored");
        let known: HashSet<Uuid> = self.reference.log.iter().map(|e| e.envelope.id).collect();
        for envelope in self.store.pending(10_000).await.expect("pending events") {
            if !known.contains(&envelope.id) {
                self.reference.log.push(LocalEvent { envelope, state: LocalState::Pending, corrected: false });
            }
        }
    }

    /// `member` registered on this desk and confirmed by the server at version 1: the server's copy.
    async fn registered(&mut self, member: Uuid, name: &str) -> EventEnvelope {
        self.execute(member, register(name), NOW).await;
        let registered = stored(&self.store.pending(10).await.unwrap()[0], 1);
        self.apply(StoreOp::Confirm { stored: vec![registered.clone()], server_events: vec![] }, None).await;
        registered
    }

    /// `member` registered and sold [`MONTHLY`] on this desk, both confirmed by the server
    /// (versions 1 and 2): the server's copies.
    async fn registered_with_membership(&mut self, member: Uuid, name: &str) -> Vec<EventEnvelope> {
        self.execute(member, register(name), NOW).await;
        self.execute(member, sell_monthly(), NOW + 500).await;
        let pending = self.store.pending(10).await.unwrap();
        let confirmed = vec![stored(&pending[0], 1), stored(&pending[1], 2)];
        self.apply(StoreOp::Confirm { stored: confirmed.clone(), server_events: vec![] }, None).await;
        confirmed
    }

    async fn apply(&mut self, op: StoreOp, epoch: Option<LogEpoch>) -> Changes {
        self.reference.apply(op.clone(), NOW);
        self.store.apply(op, NOW, epoch).await.expect("the store carries it out")
    }

    /// Every event in the same state, pending ones in the same push order, the same projections.
    async fn assert_alike(&self, members: &[Uuid]) {
        for &member in members {
            let stream = StreamId::member(member);
            let mut expected: Vec<(Uuid, EventState)> = self
                .reference
                .log
                .iter()
                .filter(|e| e.envelope.stream == stream)
                .map(|e| (e.envelope.id, state(&e.state)))
                .collect();
            let mut actual: Vec<(Uuid, EventState)> = (self.store.timeline(stream).await.expect("a timeline"))
                .into_iter()
                .map(|row| (row.event_id, row.state))
                .collect();
            expected.sort_by_key(|(id, _)| *id);
            actual.sort_by_key(|(id, _)| *id);
            assert_eq!(actual, expected, "the events of {stream}");
        }
        let pushed: Vec<Uuid> = self.store.pending(10_000).await.expect("pending").iter().map(|e| e.id).collect();
        let reference: Vec<Uuid> = self.reference.pending().iter().map(|e| e.id).collect();
        assert_eq!(pushed, reference, "pending events, in push order");

        let mut rows = members_of(&self.store).await;
        rows.sort_by_key(|r| r.id);
        let mut expected: Vec<MemberRow> = members
            .iter()
            .map(|&id| {
                let stream = StreamId::member(id);
                let (member, _) = self.reference.load::<Member>(stream);
                let pending = self.reference.pending().iter().filter(|e| e.stream == stream).count();
                MemberRow::new(id, &member, pending as u32)
            })
            .collect();
        expected.sort_by_key(|r| r.id);
        assert_eq!(rows, expected, "the members projection");

        let mut inbox: Vec<Uuid> = self.store.inbox(NOW).await.expect("the inbox").iter().map(|e| e.event_id).collect();
        let mut reference: Vec<Uuid> = self
            .reference
            .log
            .iter()
            .filter(|e| e.corrected || matches!(e.state, LocalState::Rejected(_)))
            .map(|e| e.envelope.id)
            .collect();
        inbox.sort();
        reference.sort();
        assert_eq!(inbox, reference, "the inbox");
    }
}

/// The read models as this store holds them, in the shape `ReadModels::fold` gives (local-only
/// fields left out), read generically from every table of the registry.
async fn stored_read_models(store: &Store) -> ReadModels {
    use super::{records::StreamRecord, schema::read_model_stores};
    use indexed_db_futures::{prelude::*, transaction::TransactionMode};
    use shared::{projection::Tables, StreamKind};
    let mut models = ReadModels::default();
    let tables = read_model_stores();
    let tx = store.transaction(&tables, TransactionMode::Readonly).unwrap();
    for kind in StreamKind::ALL {
        let (streams, event_tables) = kind.run(Tables);
        let rows = tx.object_store(streams).unwrap().get_all::<StreamRecord>().serde().unwrap().await.unwrap();
        for record in rows.map(Result::unwrap) {
            let state: serde_json::Value = serde_json::from_str(&record.state).unwrap();
            models.streams.insert(record.id.parse().unwrap(), (record.version, state));
        }
        for table in event_tables {
            let rows = tx.object_store(table.name).unwrap().get_all::<super::RowRecord>().serde().unwrap();
            for row in rows.await.unwrap().map(Result::unwrap) {
                models.rows.insert((table.name, row.key.parse().unwrap()), (row.sort, row.value));
            }
        }
    }
    models
}

/// The member rows the runtime would show, from the store's members table.
async fn members_of(store: &Store) -> Vec<MemberRow> {
    let records = store.streams(crate::views::members_table()).await.expect("members");
    records.iter().filter_map(|r| crate::views::member_row(r).unwrap()).collect()
}

fn state(local: &LocalState) -> EventState {
    match local {
        LocalState::Pending => EventState::Pending,
        LocalState::Confirmed => EventState::Confirmed,
        LocalState::Unconfirmed => EventState::Unconfirmed,
        LocalState::Rejected(reason) => EventState::Rejected(reason.clone()),
        LocalState::Resolved(reason) => EventState::Settled(reason.clone()),
    }
}

fn stored(envelope: &EventEnvelope, position: u64) -> EventEnvelope {
    EventEnvelope { position: Some(position), ..envelope.clone() }
}

fn register(name: &str) -> MemberCommand {
    MemberCommand::RegisterMember { name: name.into(), email: String::new(), phone: String::new() }
}

/// Sells [`MONTHLY`], an unlimited month from the day of [`NOW`] (the club's zone is UTC here).
fn sell_monthly() -> MemberCommand {
    let today = Date::utc_of(NOW);
    let terms = PlanTerms {
        name: "Monthly unlimited".into(),
        length: Length::Months(1),
        visits: Visits::Unlimited,
        price_cents: 4_900,
    };
    MemberCommand::SellMembership {
        membership: MONTHLY,
        plan: Uuid::from_u128(0xb1),
        terms,
        start: Start::On(today),
        on: today,
    }
}

/// The desk checks the member in on [`MONTHLY`] at `at_ms`.
fn check_in(at_ms: u64) -> MemberCommand {
    MemberCommand::CheckIn { on: Date::utc_of(at_ms), membership: MONTHLY, rules: EntryRules::default() }
}

#[wasm_bindgen_test]
async fn a_replaced_log_unconfirms_everything_confirms_what_it_shows_again_and_gets_the_rest_offered_back() {
    let mut twins = Twins::new().await;
    let (anna, bo) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let first = LogEpoch(Uuid::from_u128(100));
    let restored = LogEpoch(Uuid::from_u128(200));

    // Anna registered, sold a month and checked in here, all confirmed; Bo registered on another device.
    twins.apply(StoreOp::AdoptEpoch(first), Some(first)).await;
    twins.execute(anna, register("Anna Peeters"), NOW).await;
    twins.execute(anna, sell_monthly(), NOW + 500).await;
    twins.execute(anna, check_in(NOW + 1_000), NOW + 1_000).await;
    let anna_events = twins.store.pending(10).await.unwrap();
    let confirmed = vec![stored(&anna_events[0], 1), stored(&anna_events[1], 2), stored(&anna_events[2], 3)];
    twins.apply(StoreOp::Confirm { stored: confirmed.clone(), server_events: vec![] }, Some(first)).await;
    let mut other = MemoryDevice::new("other", 2);
    other.execute::<Member>(StreamId::member(bo), register("Bo"), NOW).expect("registers");
    let bo_registered = stored(&other.pending()[0], 4);
    twins.apply(StoreOp::Apply { events: vec![bo_registered.clone()], cursor: 4 }, Some(first)).await;
    // A change not pushed yet, built on the check-in.
    twins
        .execute(
            anna,
            MemberCommand::ChangeMemberDetails {
                changes: vec![(shared::member::MemberField::Phone, "0470 11 22 33".into())],
            },
            NOW + 2_000,
        )
        .await;
    twins.assert_alike(&[anna, bo]).await;

    // The server's log was restored from a copy that has Anna's registration and sale, and Bo, not
    // the check-in.
    twins.apply(StoreOp::Reset { epoch: restored }, Some(restored)).await;
    twins.assert_alike(&[anna, bo]).await;
    let saved = twins.store.saved().await.unwrap();
    assert_eq!((saved.cursor, saved.epoch, saved.resyncing), (0, Some(restored), true));

    let pulled = vec![stored(&confirmed[0], 1), stored(&confirmed[1], 2), stored(&bo_registered, 3)];
    twins.apply(StoreOp::Apply { events: pulled, cursor: 3 }, Some(restored)).await;
    twins.assert_alike(&[anna, bo]).await;

    let changes = twins.apply(StoreOp::Reoffer, Some(restored)).await;
    assert_eq!(changes.reoffered, Some(1), "the check-in is the one change the copy lacks");
    twins.assert_alike(&[anna, bo]).await;
    let pending = twins.store.pending(10).await.unwrap();
    assert_eq!(pending.iter().map(|e| e.version).collect::<Vec<_>>(), vec![3, 4], "the lost check-in goes out first");
    assert!(pending.iter().all(|e| e.position.is_none()), "offered back without the replaced log's positions");
    let saved = twins.store.saved().await.unwrap();
    assert_eq!((saved.cursor, saved.resyncing), (3, false));
}

#[wasm_bindgen_test]
async fn a_tab_that_has_not_seen_the_new_log_does_not_move_its_cursor() {
    let mut twins = Twins::new().await;
    let (first, restored) = (LogEpoch(Uuid::from_u128(100)), LogEpoch(Uuid::from_u128(200)));
    twins.apply(StoreOp::AdoptEpoch(first), Some(first)).await;
    twins.apply(StoreOp::Reset { epoch: restored }, Some(restored)).await;
    let mut other = MemoryDevice::new("other", 3);
    other.execute::<Member>(StreamId::member(Uuid::from_u128(3)), register("Cleo"), NOW).expect("registers");
    // Another tab, still in the first log, applies position 40 of it.
    let late = stored(&other.pending()[0], 40);
    twins.store.apply(StoreOp::Apply { events: vec![late], cursor: 40 }, NOW, Some(first)).await.unwrap();
    assert_eq!(twins.store.saved().await.unwrap().cursor, 0);
}

/// Two desks checked Anna in within the window; the server stored this desk's as a duplicate.
#[wasm_bindgen_test]
async fn a_check_in_the_server_recorded_as_a_duplicate_is_a_correction_until_acknowledged() {
    let mut twins = Twins::new().await;
    let anna = Uuid::from_u128(1);
    let stream = StreamId::member(anna);
    let confirmed = twins.registered_with_membership(anna, "Anna Peeters").await;
    twins.execute(anna, check_in(NOW + 60_000), NOW + 60_000).await;
    // The other desk's check-in, and what the server made of this one.
    let mut other = MemoryDevice::new("other", 2);
    other.apply(StoreOp::Apply { events: confirmed, cursor: 2 }, NOW);
    other.execute::<Member>(stream, check_in(NOW + 30_000), NOW + 30_000).unwrap();
    let theirs = stored(&other.pending()[0], 3);
    let mine = twins.store.pending(10).await.unwrap().remove(0);
    let mut duplicate = stored(&mine, 4);
    duplicate.version = 4;
    let not_counted = MemberEvent::MemberCheckInNotCounted {
        at_ms: NOW + 60_000,
        reason: NotCounted::Duplicate { of_ms: NOW + 30_000 },
    };
    duplicate.event_type = not_counted.event_type().into();
    duplicate.data = not_counted.encode();
    let changes = twins.apply(StoreOp::Confirm { stored: vec![duplicate], server_events: vec![theirs] }, None).await;
    assert_eq!((changes.counts.pending, changes.counts.corrected), (0, 1));
    assert!(
        changes.removed_rows.contains(&("check_ins", mine.id.to_string())),
        "this desk's check-in no longer counts"
    );
    twins.assert_alike(&[anna]).await;
    // Everything is confirmed: the store's read models are what the server's fold of this log gives.
    let log: Vec<EventEnvelope> = twins.reference.log.iter().map(|e| e.envelope.clone()).collect();
    assert_eq!(stored_read_models(&twins.store).await, ReadModels::fold(&log));
    let entry = twins.store.inbox(NOW).await.unwrap().remove(0);
    assert_eq!(entry.kind, InboxKind::Correction);
    assert!(entry.summary.contains("duplicate"), "{}", entry.summary);
    assert_eq!(members_of(&twins.store).await[0].check_ins, 1, "one check-in counts");

    let changes = twins.store.settle(mine.id, Settle::Acknowledge, DESK, NOW).await.expect("acknowledged");
    twins.reference.acknowledge(mine.id);
    assert_eq!(changes.counts.corrected, 0);
    twins.assert_alike(&[anna]).await;
    assert!(twins.store.inbox(NOW).await.unwrap().is_empty());
}

/// A change the server refused waits in the inbox; applied again on top, it is pending once more
/// (a new event), and the refused one is settled.
#[wasm_bindgen_test]
async fn a_refused_change_applied_again_on_top_is_decided_anew_and_leaves_the_inbox() {
    let mut twins = Twins::new().await;
    let anna = Uuid::from_u128(1);
    twins.registered(anna, "Anna Peeters").await;
    twins.execute(anna, MemberCommand::ArchiveMember, NOW + 1_000).await;
    let archive = twins.store.pending(10).await.unwrap().remove(0);
    let reason = "another desk changed this first, and now this member is archived".to_owned();
    let stream = StreamId::member(anna);
    twins.apply(StoreOp::Reject { stream, server_events: vec![], reason }, None).await;
    twins.assert_alike(&[anna]).await;
    let entry = twins.store.inbox(NOW).await.unwrap().remove(0);
    assert!(matches!(entry.kind, InboxKind::Conflict { blocked: None, .. }), "nothing stands in its way");

    let changes = twins.store.settle(archive.id, Settle::ApplyAgain, DESK, NOW + 5_000).await.expect("decided again");
    assert_eq!((changes.counts.pending, changes.counts.rejected), (1, 0));
    let pending = twins.store.pending(10).await.unwrap();
    assert_ne!(pending[0].id, archive.id, "a new decision, a new event");
    assert_eq!(pending[0].version, 2, "built on the server's head");
    let timeline = twins.store.timeline(StreamId::member(anna)).await.unwrap();
    assert!(timeline.iter().any(|r| r.event_id == archive.id && matches!(r.state, EventState::Settled(_))));
    assert!(matches!(
        twins.store.settle(archive.id, Settle::Discard, DESK, NOW).await,
        Err(super::ExecuteError::NotInInbox)
    ));
}

/// Decided again on a stream that moved on long after it (a desk offline for hours), a change is
/// decided now: the server refuses an event dated well before what it is built on, and cannot
/// tell one decided again from one dated back. Shortly after, it keeps its time.
#[wasm_bindgen_test]
fn a_change_decided_again_long_after_the_stream_moved_on_is_decided_now() {
    use super::inbox::again_at;
    const MIN: u64 = 60_000;
    let made = NOW;
    assert_eq!(again_at(made, NOW + 120 * MIN, NOW + 5 * MIN), made, "the stream moved on 5 min later: its own time");
    assert_eq!(again_at(made, NOW + 120 * MIN, NOW + 60 * MIN), NOW + 120 * MIN, "an hour later: now");
    assert_eq!(again_at(NOW + 10 * MIN, NOW, NOW), NOW, "made ahead of this clock: now");
    assert_eq!(again_at(0, NOW, 0), NOW, "no time of its own: now");
}

/// This desk changed the phone; another desk's later change was merged over it on the server:
/// when it arrives, this desk is told its change did not stand.
#[wasm_bindgen_test]
async fn another_desks_merge_over_this_desks_change_is_a_correction_here() {
    let mut twins = Twins::new().await;
    let anna = Uuid::from_u128(1);
    let stream = StreamId::member(anna);
    twins.execute(anna, register("Anna Peeters"), NOW).await;
    let phone =
        |v: &str| MemberCommand::ChangeMemberDetails { changes: vec![(shared::member::MemberField::Phone, v.into())] };
    twins.execute(anna, phone("0470 11 11 11"), NOW + 1_000).await;
    let mine = twins.store.pending(10).await.unwrap();
    let confirmed = vec![stored(&mine[0], 1), stored(&mine[1], 2)];
    twins.apply(StoreOp::Confirm { stored: confirmed.clone(), server_events: vec![] }, None).await;
    // The other desk's change, made on version 1 with a later stamp, stored as merged.
    let mut other = MemoryDevice::new("other", 2);
    other.apply(StoreOp::Apply { events: vec![confirmed[0].clone()], cursor: 1 }, NOW);
    other.execute::<Member>(stream, phone("0470 22 22 22"), NOW + 2_000).unwrap();
    let mut merged = stored(&other.pending()[0], 3);
    merged.version = 3;
    merged.event_type = "MemberDetailsMerged".into();
    merged.data = serde_json::json!({ "field": "phone", "value": "0470 22 22 22", "overwritten": "0470 11 11 11" });
    let changes = twins.apply(StoreOp::Apply { events: vec![merged.clone()], cursor: 3 }, None).await;
    assert_eq!(changes.counts.corrected, 1);
    twins.assert_alike(&[anna]).await;
    let entry = twins.store.inbox(NOW).await.unwrap().remove(0);
    assert_eq!(entry.event_id, merged.id);
    assert!(
        entry.summary.starts_with("Your change of the phone to 0470 11 11 11 was overwritten"),
        "{}",
        entry.summary
    );
    // Received again (a pull after live): not told twice.
    twins.store.settle(merged.id, Settle::Acknowledge, DESK, NOW).await.unwrap();
    twins.reference.acknowledge(merged.id);
    let changes = twins.apply(StoreOp::Apply { events: vec![merged], cursor: 3 }, None).await;
    assert_eq!(changes.counts.corrected, 0);
    twins.assert_alike(&[anna]).await;
}

#[wasm_bindgen_test]
async fn read_models_built_by_other_projections_are_rebuilt_from_the_log_on_open() {
    use super::{records::*, schema::all_stores};
    use indexed_db_futures::{prelude::*, transaction::TransactionMode};
    let mut twins = Twins::new().await;
    let (anna, bo) = (Uuid::from_u128(1), Uuid::from_u128(2));
    twins.execute(anna, register("Anna"), NOW).await;
    twins.execute(anna, sell_monthly(), NOW + 500).await;
    twins.execute(anna, check_in(NOW + 1_000), NOW + 1_000).await;
    twins.execute(bo, register("Bo"), NOW + 2_000).await;
    let log: Vec<EventEnvelope> = twins.reference.log.iter().map(|e| e.envelope.clone()).collect();
    let built = stored_read_models(&twins.store).await;
    assert_eq!(built, ReadModels::fold(&log), "kept in step by every operation");

    // An older app's projections: rows this app would not write, under another signature.
    {
        let tx = twins.store.transaction(&all_stores(), TransactionMode::Readwrite).unwrap();
        tx.object_store("members").unwrap().clear().unwrap().await.unwrap();
        tx.object_store("check_ins").unwrap().clear().unwrap().await.unwrap();
        let meta = tx.object_store(META).unwrap();
        meta.put(Meta::new(META_PROJECTIONS, "v0;members")).serde().unwrap().await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(stored_read_models(&twins.store).await, ReadModels::default());

    let hooks = OpenHooks { blocked: Box::new(|| {}), replaced: Box::new(|| {}) };
    let reopened = Store::open_named(&twins.name, schema::db_version(), hooks).await.expect("the store opens");
    assert_eq!(stored_read_models(&reopened).await, built, "rebuilt from the log");
    assert_eq!(members_of(&reopened).await.len(), 2);
    assert_eq!(reopened.counts().await.unwrap().pending, 4, "the log itself is untouched");
}

/// This desk archived a member another desk had archived first (the server refused this desk's
/// batch): applying it on top would be refused again, so the inbox says why instead of offering it.
#[wasm_bindgen_test]
async fn a_refused_change_that_a_rule_would_refuse_again_says_so_in_the_inbox() {
    let mut twins = Twins::new().await;
    let anna = Uuid::from_u128(1);
    let stream = StreamId::member(anna);
    let registered = twins.registered(anna, "Anna Peeters").await;
    twins.execute(anna, MemberCommand::ArchiveMember, NOW + 1_000).await;
    let mine = twins.store.pending(10).await.unwrap().remove(0);
    let mut other = MemoryDevice::new("desk-2", 2);
    other.apply(StoreOp::Apply { events: vec![registered], cursor: 1 }, NOW);
    other.execute::<Member>(stream, MemberCommand::ArchiveMember, NOW + 500).unwrap();
    let theirs = stored(&other.pending()[0], 2);
    let reason = "another desk changed this first; your change was not applied".to_owned();
    twins.apply(StoreOp::Reject { stream, server_events: vec![theirs], reason }, None).await;
    twins.assert_alike(&[anna]).await;

    let entry = twins.store.inbox(NOW + 2_000).await.unwrap().remove(0);
    assert_eq!(entry.event_id, mine.id);
    let InboxKind::Conflict { blocked: Some(rule), .. } = entry.kind else { panic!("{:?}", entry.kind) };
    let refused = twins.store.settle(mine.id, Settle::ApplyAgain, DESK, NOW + 2_000).await;
    assert!(matches!(refused, Err(super::ExecuteError::Rule(r)) if r == rule), "the rule the inbox named");
}

/// A check-in applied again from the inbox is stamped when it was applied, but happened when the
/// member came in: the timeline and the inbox show that time, as the day's check-ins do.
#[wasm_bindgen_test]
async fn an_event_shows_the_time_it_says_it_happened_at_not_when_it_was_stamped() {
    let mut desk = MemoryDevice::new("desk-1", 1);
    let anna = StreamId::member(Uuid::from_u128(1));
    desk.execute::<Member>(anna, register("Anna"), NOW).unwrap();
    desk.execute::<Member>(anna, sell_monthly(), NOW + 500).unwrap();
    desk.execute::<Member>(anna, check_in(NOW + 60_000), NOW + 60_000).unwrap();
    let mut check_in = desk.pending()[2].clone();
    check_in.hlc.ms = NOW + 600_000;
    assert_eq!(super::fold::happened_at(&check_in), NOW + 60_000);
    let registered = desk.pending()[0].clone();
    assert_eq!(super::fold::happened_at(&registered), registered.hlc.ms, "no time of its own: the stamp");
}

/// Every event records who decided it: the staff member at the desk, on every path a decision
/// takes (a command, or a refused change applied again from the inbox).
#[wasm_bindgen_test]
async fn every_event_is_stamped_with_the_staff_member_who_decided_it() {
    let mut twins = Twins::new().await;
    let anna = Uuid::from_u128(1);
    twins.execute(anna, register("Anna"), NOW).await;
    twins.execute(anna, sell_monthly(), NOW + 500).await;
    let manager = Actor { staff: StaffId(Uuid::from_u128(71)), role: Role::Manager };
    twins
        .store
        .execute(StreamId::member(anna), Command::Member(check_in(NOW + 1_000)), manager, NOW + 1_000)
        .await
        .unwrap();
    let stamped: Vec<_> = twins.store.pending(10).await.unwrap().iter().map(|e| e.staff).collect();
    assert_eq!(stamped, vec![Some(DESK.staff), Some(DESK.staff), Some(manager.staff)]);
    let timeline = twins.store.timeline(StreamId::member(anna)).await.unwrap();
    assert_eq!(timeline[0].staff, Some(manager.staff), "the timeline says who");
}

/// A role that lacks a command's permission is refused before anything is decided: nothing is
/// stored, and the refusal names the role and what it may not do.
#[wasm_bindgen_test]
async fn a_coach_may_not_register_or_check_in_and_nothing_is_stored() {
    let twins = Twins::new().await;
    let coach = Actor { staff: StaffId(Uuid::from_u128(72)), role: Role::Coach };
    let stream = StreamId::member(Uuid::from_u128(1));
    let refused = twins.store.execute(stream, Command::Member(register("Anna")), coach, NOW).await;
    let Err(super::ExecuteError::Forbidden(forbidden)) = refused else { panic!("{refused:?}") };
    assert_eq!(forbidden.to_string(), "a coach may not register or change members");
    let refused = twins.store.execute(stream, Command::Member(check_in(NOW)), coach, NOW).await;
    assert!(matches!(refused, Err(super::ExecuteError::Forbidden(_))), "{refused:?}");
    assert_eq!(twins.store.counts().await.unwrap().pending, 0);
    assert!(members_of(&twins.store).await.is_empty());
}

/// The last staff member out deletes the device's data: opened again, the store is empty.
#[wasm_bindgen_test]
async fn a_deleted_store_opens_again_empty() {
    let mut twins = Twins::new().await;
    twins.execute(Uuid::from_u128(1), register("Anna"), NOW).await;
    twins.store.delete().await.expect("deleted");
    assert!(twins.store.counts().await.is_err(), "the closed store refuses every operation");
    let hooks = OpenHooks { blocked: Box::new(|| {}), replaced: Box::new(|| {}) };
    let reopened = Store::open_named(&twins.name, schema::db_version(), hooks).await.expect("the store opens");
    assert_eq!(reopened.counts().await.unwrap().pending, 0);
    assert!(members_of(&reopened).await.is_empty());
    assert_ne!(reopened.device(), twins.store.device(), "a new device: its sessions were bound to the old one");
}

/// This test's names: the member and the class the store's words name.
struct ClassNames;

impl super::Names for ClassNames {
    fn member(&self, id: Uuid) -> Option<String> {
        (id == Uuid::from_u128(1)).then(|| "Anna Peeters".into())
    }
    fn class(&self, _: Uuid) -> Option<String> {
        Some("Yoga (Tue 25 Nov 18:00)".into())
    }
}

/// Two desks booked the last spot; the server kept the other's and stored this desk's booking as
/// a waitlist place: the class's row says so, and the inbox tells this desk's staff why, naming
/// the member and the class.
#[wasm_bindgen_test]
async fn a_booking_the_server_moved_to_the_waitlist_is_a_correction_that_says_why() {
    use shared::class::{Class, ClassCommand, ClassDetails, ClassEvent, Cutoffs};
    let twins = Twins::new().await;
    twins.store.set_names(std::rc::Rc::new(ClassNames));
    let (anna, other_member) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let class_id = Uuid::from_u128(0xc1a5);
    let stream = shared::class::stream(class_id);
    let manager = Actor { staff: StaffId(Uuid::from_u128(71)), role: Role::Manager };
    let details = ClassDetails {
        title: "Yoga".into(),
        coach: manager.staff,
        start_ms: NOW + 26 * 3_600_000,
        day: Date::utc_of(NOW + 26 * 3_600_000),
        duration_min: 60,
        capacity: 1,
        room: "Studio 1".into(),
    };
    let schedule = ClassCommand::ScheduleClass { details, cutoffs: Cutoffs::default() };
    twins.store.execute(stream, Command::Class(schedule), manager, NOW).await.expect("scheduled");
    let scheduled = stored(&twins.store.pending(10).await.unwrap()[0], 1);
    twins
        .store
        .apply(StoreOp::Confirm { stored: vec![scheduled.clone()], server_events: vec![] }, NOW, None)
        .await
        .unwrap();
    let book =
        ClassCommand::Book { member: anna, membership: Some(MONTHLY), override_reason: None, over_capacity: None };
    twins.store.execute(stream, Command::Class(book), DESK, NOW + 1_000).await.expect("booked here");
    let mine = twins.store.pending(10).await.unwrap().remove(0);
    assert_eq!(mine.event_type, "ClassBooked");

    // The other desk's booking reached the server first; this one came back as a waitlist place.
    let mut other = MemoryDevice::new("other", 2);
    other.apply(StoreOp::Apply { events: vec![scheduled], cursor: 1 }, NOW);
    let theirs = ClassCommand::Book {
        member: other_member,
        membership: Some(MONTHLY),
        override_reason: None,
        over_capacity: None,
    };
    other.execute::<Class>(stream, theirs, NOW + 500).unwrap();
    let theirs = stored(&other.pending()[0], 2);
    let waitlisted = ClassEvent::ClassWaitlisted {
        member: anna,
        membership: Some(MONTHLY),
        at_ms: NOW + 1_000,
        override_reason: None,
    };
    let mut moved = stored(&mine, 3);
    moved.version = 3;
    moved.event_type = waitlisted.event_type().into();
    moved.data = waitlisted.encode();
    let changes = twins
        .store
        .apply(StoreOp::Confirm { stored: vec![moved], server_events: vec![theirs] }, NOW, None)
        .await
        .unwrap();
    assert_eq!((changes.counts.pending, changes.counts.corrected), (0, 1));

    let row = changes.streams.iter().find(|r| r.id == stream.to_string()).expect("the class's row changed");
    let class = crate::views::class_row(row).unwrap().expect("a listed class").class;
    assert_eq!(class.bookings.iter().map(|b| b.member).collect::<Vec<_>>(), [other_member]);
    assert_eq!(class.waitlist.iter().map(|w| w.member).collect::<Vec<_>>(), [anna]);

    let entry = twins.store.inbox(NOW).await.unwrap().remove(0);
    assert_eq!((entry.kind, entry.stream, entry.about), (InboxKind::Correction, stream, Some(anna)));
    assert_eq!(entry.member_name, "Yoga");
    assert_eq!(
        entry.summary,
        "Booking of Anna Peeters for Yoga (Tue 25 Nov 18:00) moved to the waitlist: the last spot was taken by another desk first"
    );
    let timeline = twins.store.timeline(stream).await.unwrap();
    assert_eq!(timeline[0].summary, entry.summary, "the timeline tells it the same until staff saw it");
    assert_eq!(timeline[0].about, Some(anna));
}

/// The manager moved a class to the next day thinking Anna could come then; the server, holding
/// her membership's freeze, released her booking: the move is a correction in the manager's inbox
/// that names her, and the class's row no longer books her.
#[wasm_bindgen_test]
async fn a_move_the_server_released_a_booking_for_tells_the_manager_whose() {
    use shared::{
        class::{ClassCommand, ClassDetails, ClassEvent, Cutoffs, Skip},
        member::Denial,
    };
    let twins = Twins::new().await;
    twins.store.set_names(std::rc::Rc::new(ClassNames));
    let anna = Uuid::from_u128(1);
    let stream = shared::class::stream(Uuid::from_u128(0xc1a5));
    let manager = Actor { staff: StaffId(Uuid::from_u128(71)), role: Role::Manager };
    let start_ms = NOW + 26 * 3_600_000;
    let details = ClassDetails {
        title: "Yoga".into(),
        coach: manager.staff,
        start_ms,
        day: Date::utc_of(start_ms),
        duration_min: 60,
        capacity: 2,
        room: "Studio 1".into(),
    };
    let schedule = ClassCommand::ScheduleClass { details: details.clone(), cutoffs: Cutoffs::default() };
    twins.store.execute(stream, Command::Class(schedule), manager, NOW).await.expect("scheduled");
    let book =
        ClassCommand::Book { member: anna, membership: Some(MONTHLY), override_reason: None, over_capacity: None };
    twins.store.execute(stream, Command::Class(book), DESK, NOW + 1_000).await.expect("booked");
    let pending = twins.store.pending(10).await.unwrap();
    let confirmed = vec![stored(&pending[0], 1), stored(&pending[1], 2)];
    twins.store.apply(StoreOp::Confirm { stored: confirmed, server_events: vec![] }, NOW, None).await.unwrap();

    let next_day =
        ClassDetails { start_ms: start_ms + 86_400_000, day: Date::utc_of(start_ms + 86_400_000), ..details };
    let move_it = ClassCommand::RescheduleClass { details: next_day.clone(), skipped: vec![], released: vec![] };
    twins.store.execute(stream, Command::Class(move_it), manager, NOW + 2_000).await.expect("moved here");
    let mine = twins.store.pending(10).await.unwrap().remove(0);
    let frozen = Denial::Frozen { until: Date::utc_of(start_ms + 10 * 86_400_000) };
    let released = ClassEvent::ClassRescheduled {
        details: next_day,
        at_ms: NOW + 2_000,
        skipped: vec![],
        released: vec![Skip { member: anna, denial: frozen }],
    };
    let mut as_stored = stored(&mine, 3);
    as_stored.data = released.encode();
    let changes = twins
        .store
        .apply(StoreOp::Confirm { stored: vec![as_stored], server_events: vec![] }, NOW, None)
        .await
        .unwrap();
    assert_eq!((changes.counts.pending, changes.counts.corrected), (0, 1));
    let row = changes.streams.iter().find(|r| r.id == stream.to_string()).expect("the class's row changed");
    let class = crate::views::class_row(row).unwrap().expect("a listed class").class;
    assert!(class.bookings.is_empty(), "Anna's booking is released");

    let entry = twins.store.inbox(NOW).await.unwrap().remove(0);
    assert_eq!((entry.kind, entry.stream), (InboxKind::Correction, stream));
    assert!(
        entry.summary.starts_with(
            "Yoga moved to Wed 26 Nov 18:00: by the members' records the server holds, the bookings released are those \
             of Anna Peeters (the membership is frozen"
        ),
        "{}",
        entry.summary
    );
}
