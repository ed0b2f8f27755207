//! The club's settings: each a test (DOMAIN.md "Memberships": plans; "Check-in": the duplicate
//! window and automatic check-out; "Time": the club's zone), and their merge.

use super::*;
use crate::{
    aggregate::{Aggregate, EventMeta, Resolution},
    hlc::Hlc,
    testing::given,
    DeviceId,
};
use uuid::Uuid;

fn yearly(id: u128) -> Plan {
    Plan {
        id: Uuid::from_u128(id),
        terms: PlanTerms {
            name: "Yearly".into(),
            length: Length::Months(12),
            visits: Visits::Unlimited,
            price_cents: 49_000,
        },
        on_sale: true,
    }
}

fn change(setting: Setting) -> ClubCommand {
    ClubCommand::ChangeSetting(setting)
}

#[test]
fn a_new_club_has_the_documented_defaults() {
    let s = ClubSettings::default();
    assert_eq!((s.time_zone.as_str(), s.duplicate_window_min, s.auto_check_out_min), ("UTC", 10, 180));
    assert_eq!(s.entry_rules().window_ms, 10 * 60_000);
}

#[test]
fn a_plan_is_added_with_its_name_normalised() {
    let mut typed = yearly(1);
    typed.terms.name = "  Yearly  ".into();
    given::<ClubSettings>(vec![])
        .when(change(Setting::Plan(typed)))
        .then_expect(vec![ClubEvent::ClubSettingChanged { setting: Setting::Plan(yearly(1)) }]);
}

#[test]
fn unlimited_is_said_explicitly_and_a_card_holds_one_to_a_thousand_visits() {
    let mut card = yearly(1);
    card.terms.visits = Visits::Card(0);
    given::<ClubSettings>(vec![])
        .when(change(Setting::Plan(card.clone())))
        .then_expect_error(SettingsError::Plan(PlanError::VisitsOutOfRange));
    card.terms.visits = Visits::Card(99_999);
    given::<ClubSettings>(vec![])
        .when(change(Setting::Plan(card)))
        .then_expect_error(SettingsError::Plan(PlanError::VisitsOutOfRange));
}

#[test]
fn bad_settings_are_refused_with_what_is_allowed() {
    for (setting, error) in [
        (Setting::DuplicateWindowMinutes(0), SettingsError::DuplicateWindow),
        (Setting::DuplicateWindowMinutes(361), SettingsError::DuplicateWindow),
        (Setting::AutoCheckOutMinutes(10), SettingsError::AutoCheckOut),
        (Setting::PaymentGraceDays(91), SettingsError::PaymentGrace),
        (Setting::TimeZone("berlin".into()), SettingsError::TimeZone("berlin".into())),
    ] {
        given::<ClubSettings>(vec![]).when(change(setting)).then_expect_error(error);
    }
    given::<ClubSettings>(vec![])
        .when(change(Setting::DuplicateWindowMinutes(10)))
        .then_expect_error(SettingsError::NothingChanged);
}

#[test]
fn taking_a_plan_off_sale_keeps_it_for_the_memberships_sold_from_it() {
    let mut off = yearly(1);
    off.on_sale = false;
    let s = ClubSettings::from_events(&[
        ClubEvent::ClubSettingChanged { setting: Setting::Plan(yearly(1)) },
        ClubEvent::ClubSettingChanged { setting: Setting::Plan(off) },
    ]);
    assert!(s.plans_on_sale().is_empty());
    assert_eq!(s.plans.len(), 1);
}

#[test]
fn settings_need_the_settings_permission() {
    use crate::access::{Permission, Role};
    assert_eq!(ClubSettings::permission(&change(Setting::PaymentGraceDays(3))), Permission::Settings);
    assert!(Role::Manager.can(Permission::Settings) && !Role::FrontDesk.can(Permission::Settings));
}

fn at(version: u64, ms: u64, device: &DeviceId) -> EventMeta<'_> {
    EventMeta { version, hlc: Hlc { ms, c: 0 }, device }
}

/// Two desks changed the duplicate window offline: the later change stands on both, and the
/// earlier one is kept visible as overwritten.
#[test]
fn concurrent_changes_of_one_setting_merge_the_later_stamp_winning() {
    let (a, b) = (DeviceId::new("desk-a").unwrap(), DeviceId::new("desk-b").unwrap());
    let mut server = ClubSettings::default();
    server.evolve(&ClubEvent::ClubSettingChanged { setting: Setting::DuplicateWindowMinutes(5) }, &at(1, 2_000, &a));
    let earlier = ClubEvent::ClubSettingChanged { setting: Setting::DuplicateWindowMinutes(20) };
    assert_eq!(
        server.resolve(std::slice::from_ref(&earlier), &at(1, 1_000, &b), 0).unwrap(),
        vec![Resolution::Replace(ClubEvent::ClubSettingOverwritten {
            setting: Setting::DuplicateWindowMinutes(20),
            kept: Setting::DuplicateWindowMinutes(5),
        })]
    );
    let later = ClubEvent::ClubSettingChanged { setting: Setting::DuplicateWindowMinutes(30) };
    let merged = ClubEvent::ClubSettingMerged {
        setting: Setting::DuplicateWindowMinutes(30),
        overwritten: Some(Setting::DuplicateWindowMinutes(5)),
    };
    assert_eq!(
        server.resolve(std::slice::from_ref(&later), &at(1, 3_000, &b), 0).unwrap(),
        vec![Resolution::Replace(merged.clone())]
    );
    assert!(server.admits(&merged, &at(2, 3_000, &b)));
    assert_eq!(server.overruled(&merged), Some(a));
}

#[test]
fn changes_of_different_settings_or_plans_never_collide() {
    let (a, b) = (DeviceId::new("desk-a").unwrap(), DeviceId::new("desk-b").unwrap());
    let mut server = ClubSettings::default();
    server.evolve(&ClubEvent::ClubSettingChanged { setting: Setting::Plan(yearly(1)) }, &at(1, 2_000, &a));
    let other = ClubEvent::ClubSettingChanged { setting: Setting::Plan(yearly(2)) };
    assert_eq!(server.resolve(std::slice::from_ref(&other), &at(1, 1_000, &b), 0).unwrap(), vec![Resolution::Keep]);
    let zone = ClubEvent::ClubSettingChanged { setting: Setting::TimeZone("Europe/Berlin".into()) };
    assert_eq!(server.resolve(std::slice::from_ref(&zone), &at(1, 1_000, &b), 0).unwrap(), vec![Resolution::Keep]);
}
