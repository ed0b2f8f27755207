//! Today's check-ins as the desk lists them (`ClientState::check_ins_today`): those of the club's
//! day in its time zone (23 or 25 hours on DST nights, whatever the browser's zone), voided ones
//! left out. Loaded from the store at start, kept in step with every store change, and loaded
//! again when the club's day ends, its zone changes, or a void no longer stands.

use crate::{
    store::{Changes, RowRecord, Store},
    views::{self, CHECK_INS, CHECK_INS_BY_AT},
};
use app::client::{CheckInRow, ClientState};
use futures::{channel::mpsc, StreamExt};
use gloo_timers::future::TimeoutFuture;
use leptos::prelude::*;
use shared::{club::ClubSettings, dashboard::Day};
use std::{cell::RefCell, collections::HashSet, rc::Rc};
use uuid::Uuid;
use wasm_bindgen_futures::spawn_local;

/// The `voids` table (`Member::TABLES`): one row per voided check-in, by the voided check-in's time.
const VOIDS: &str = "voids";
const VOIDS_BY_AT: &str = "by_at";

/// The longest the list goes without asking whether the club's day is still the same one (the
/// device's clock may be set right, or wrong, at any moment).
const RECHECK_MS: u64 = 60_000;

#[derive(Default)]
struct Today {
    /// The day the list holds; `None` until it is first loaded.
    day: Option<Day>,
    /// (member, time) of the day's voided check-ins.
    voided: HashSet<(Uuid, u64)>,
    /// Asks the loop of [`keep_fresh`] to load the day again.
    reload: Option<mpsc::UnboundedSender<()>>,
}

thread_local! {
    static TODAY: RefCell<Today> = RefCell::new(Today::default());
}

/// The voided check-in a `voids` row names: (member, time).
fn voided(record: &RowRecord) -> Option<(Uuid, u64)> {
    let value = &record.value;
    Some((value.get("member")?.as_str()?.parse().ok()?, value.get("at_ms")?.as_u64()?))
}

/// The check-ins of the club's day now, newest first, voided ones left out.
pub async fn load(store: &Store, settings: &ClubSettings) -> Result<Vec<CheckInRow>, String> {
    load_day(store, app::format::club_day(settings)).await
}

/// The check-ins of `day`, newest first, voided ones left out; `day` is the list's from now on.
async fn load_day(store: &Store, day: Day) -> Result<Vec<CheckInRow>, String> {
    let rows = store.rows_from(CHECK_INS, CHECK_INS_BY_AT, day.start_ms).await?;
    let voids = store.rows_from(VOIDS, VOIDS_BY_AT, day.start_ms).await?;
    let voided: HashSet<(Uuid, u64)> = voids.iter().filter_map(voided).filter(|(_, at)| day.contains(*at)).collect();
    let list = rows
        .iter()
        .rev()
        .filter_map(views::check_in_row)
        .filter(|c| day.contains(c.at_ms) && !voided.contains(&(c.member, c.at_ms)))
        .collect();
    TODAY.with(|t| {
        let mut t = t.borrow_mut();
        t.day = Some(day);
        t.voided = voided;
    });
    Ok(list)
}

/// Asks for the day to be loaded again (the club's zone changed).
pub fn reload() {
    TODAY.with(|t| {
        if let Some(tx) = &t.borrow().reload {
            let _ = tx.unbounded_send(());
        }
    });
}

/// Brings the list in step with one committed store transaction.
pub fn show(state: &ClientState, changes: &Changes) {
    let Some(day) = TODAY.with(|t| t.borrow().day) else { return };
    // A void that no longer stands (refused by the server): its check-in counts again.
    if changes.removed_rows.iter().any(|(t, _)| *t == VOIDS) {
        reload();
    }
    let new_voids: Vec<(Uuid, u64)> = changes
        .rows
        .iter()
        .filter(|r| r.table == VOIDS)
        .filter_map(voided)
        .filter(|(_, at)| day.contains(*at))
        .collect();
    let check_ins: Vec<CheckInRow> = changes
        .rows
        .iter()
        .filter(|r| r.table == CHECK_INS)
        .filter_map(views::check_in_row)
        .filter(|c| day.contains(c.at_ms))
        .collect();
    let gone: Vec<Uuid> =
        changes.removed_rows.iter().filter(|(t, _)| *t == CHECK_INS).filter_map(|(_, key)| key.parse().ok()).collect();
    if check_ins.is_empty() && gone.is_empty() && new_voids.is_empty() {
        return;
    }
    TODAY.with(|t| {
        let mut t = t.borrow_mut();
        t.voided.extend(new_voids);
        let voided = &t.voided;
        state.check_ins_today.update(|rows| {
            let replaced: HashSet<Uuid> = check_ins.iter().map(|c| c.event_id).chain(gone.iter().copied()).collect();
            rows.retain(|r| !replaced.contains(&r.event_id) && !voided.contains(&(r.member, r.at_ms)));
            rows.extend(check_ins.into_iter().filter(|c| !voided.contains(&(c.member, c.at_ms))));
            rows.sort_by_key(|r| std::cmp::Reverse(r.at_ms));
        });
    });
}

/// "Today" ends at the club's midnight even when nothing happens, and moves when the club's zone
/// changes: the list is loaded again then.
pub fn keep_fresh(store: Rc<Store>, state: ClientState) {
    let (tx, mut rx) = mpsc::unbounded::<()>();
    TODAY.with(|t| t.borrow_mut().reload = Some(tx));
    spawn_local(async move {
        loop {
            let now = app::format::now_ms();
            let loaded = TODAY.with(|t| t.borrow().day);
            let until_end = loaded.map_or(RECHECK_MS, |d| d.end_ms.saturating_sub(now).saturating_add(1_000));
            let wait = until_end.min(RECHECK_MS) as u32;
            let asked = match futures::future::select(TimeoutFuture::new(wait), rx.next()).await {
                futures::future::Either::Left(_) => false,
                futures::future::Either::Right((None, _)) => return,
                futures::future::Either::Right((Some(()), _)) => true,
            };
            while rx.try_recv().is_ok() {}
            let settings = state.settings.get_untracked();
            if !asked && loaded.is_some_and(|d| d == app::format::club_day(&settings)) {
                continue;
            }
            match load(&store, &settings).await {
                Ok(rows) => state.check_ins_today.set(rows),
                Err(e) => log::error!("today's check-ins could not be loaded again: {e}"),
            }
        }
    });
}

#[cfg(all(test, target_arch = "wasm32"))]
mod tests {
    //! In Chromium (the store is IndexedDB, the zone `Intl`), as the store's own tests.
    use super::*;
    use crate::{
        browser,
        store::{OpenHooks, Store},
    };
    use app::{
        account::Sessions,
        client::{ClientState, SyncView},
        format::ClubZone,
    };
    use shared::{
        access::{Actor, Role, StaffId},
        calendar::{date_of, Date},
        club::{Length, PlanTerms, Visits},
        member::{EntryRules, MemberCommand, Start},
        Command, StreamId,
    };
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    const H: u64 = 3_600_000;
    const MEMBERSHIP: Uuid = Uuid::from_u128(0xa1);
    const MANAGER: Actor = Actor { staff: StaffId(Uuid::from_u128(71)), role: Role::Manager };

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// `hh:00` UTC on `day`.
    fn utc(day: &str, hh: u64) -> u64 {
        d(day).days_since_epoch() as u64 * 24 * H + hh * H
    }

    async fn store() -> Store {
        let name = format!("faraday-test-{}", Uuid::from_bytes(browser::random_bytes()));
        let hooks = OpenHooks { blocked: Box::new(|| {}), replaced: Box::new(|| {}) };
        Store::open_named(&name, crate::store::db_version(), hooks).await.expect("the store opens")
    }

    /// Anna, registered with an unlimited year from 2026-01-01.
    async fn anna(store: &Store) -> StreamId {
        let anna = StreamId::member(Uuid::from_u128(1));
        let register =
            MemberCommand::RegisterMember { name: "Anna".into(), email: String::new(), phone: String::new() };
        let terms =
            PlanTerms { name: "Year".into(), length: Length::Months(12), visits: Visits::Unlimited, price_cents: 0 };
        let sell = MemberCommand::SellMembership {
            membership: MEMBERSHIP,
            plan: Uuid::from_u128(0xb1),
            terms,
            start: Start::On(d("2026-01-01")),
            on: d("2026-01-01"),
        };
        store.execute(anna, Command::Member(register), MANAGER, utc("2026-01-01", 10)).await.unwrap();
        store.execute(anna, Command::Member(sell), MANAGER, utc("2026-01-01", 11)).await.unwrap();
        anna
    }

    fn check_in(zone: &ClubZone, at_ms: u64) -> Command {
        Command::Member(MemberCommand::CheckIn {
            on: date_of(zone, at_ms),
            membership: MEMBERSHIP,
            rules: EntryRules::default(),
        })
    }

    #[wasm_bindgen_test]
    async fn todays_check_ins_are_the_clubs_day_in_its_zone_on_a_25_hour_night_without_voided_ones() {
        // Given a Berlin club on the day its clocks go back (00:00 CEST = 22:00 UTC the day before,
        // to 00:00 CET = 23:00 UTC)
        let berlin = ClubZone::named("Europe/Berlin");
        assert!(berlin.known());
        let day = Day::of(&berlin, d("2026-10-25"));
        assert_eq!((day.start_ms, day.end_ms), (utc("2026-10-24", 22), utc("2026-10-25", 23)));
        let store = store().await;
        let anna = anna(&store).await;
        // Check-ins at 23:00 the day before, then 00:00, 02:00 CEST, 02:00 CET and 23:00 CET
        for at in [
            utc("2026-10-24", 21),
            utc("2026-10-24", 22),
            utc("2026-10-25", 0),
            utc("2026-10-25", 1),
            utc("2026-10-25", 22),
        ] {
            store.execute(anna, check_in(&berlin, at), MANAGER, at).await.unwrap();
        }
        // and the second 02:00 voided
        let void = MemberCommand::VoidCheckIn { at_ms: utc("2026-10-25", 1), reason: "tapped twice".into() };
        store.execute(anna, Command::Member(void), MANAGER, utc("2026-10-25", 2)).await.unwrap();
        // When the day's list is loaded
        let rows = load_day(&store, day).await.unwrap();
        // Then it holds the day's three check-ins that count, newest first
        let times: Vec<u64> = rows.iter().map(|r| r.at_ms).collect();
        assert_eq!(times, [utc("2026-10-25", 22), utc("2026-10-25", 0), utc("2026-10-24", 22)]);
    }

    #[wasm_bindgen_test]
    async fn the_list_follows_check_ins_and_voids_as_they_are_stored() {
        let utc_zone = ClubZone::named("UTC");
        let store = store().await;
        let anna = anna(&store).await;
        let day = Day::of(&utc_zone, d("2026-03-02"));
        let state = ClientState::new(SyncView::default(), Sessions::default(), None);
        state.check_ins_today.set(load_day(&store, day).await.unwrap());
        assert!(state.check_ins_today.get_untracked().is_empty());

        let at = utc("2026-03-02", 9);
        let changes = store.execute(anna, check_in(&utc_zone, at), MANAGER, at).await.unwrap();
        show(&state, &changes);
        assert_eq!(state.check_ins_today.get_untracked().iter().map(|r| r.at_ms).collect::<Vec<_>>(), [at]);

        let void = MemberCommand::VoidCheckIn { at_ms: at, reason: "wrong member".into() };
        let changes = store.execute(anna, Command::Member(void), MANAGER, at + H).await.unwrap();
        show(&state, &changes);
        assert!(state.check_ins_today.get_untracked().is_empty(), "a voided check-in leaves the list");
    }
}
