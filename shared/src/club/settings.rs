//! The club's settings as events: plans, the duplicate window, automatic check-out, grace for
//! unpaid memberships, the time zone. One stream per club (`club-<club id>`); concurrent changes
//! merge setting by setting, the later hybrid-clock stamp winning (ties broken by device id), the
//! other value kept visible.

use super::plan::{Plan, PlanError};
use crate::{
    access::Permission,
    aggregate::{Aggregate, DomainEvent, EventMeta, Policy, Resolution, Unresolved},
    calendar,
    ids::DeviceId,
    member::FieldStamp,
    stream::StreamKind,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DEFAULT_DUPLICATE_WINDOW_MIN: u32 = 10;
pub const DEFAULT_AUTO_CHECK_OUT_MIN: u32 = 180;
pub const DEFAULT_PAYMENT_GRACE_DAYS: u32 = 14;
pub const DEFAULT_WAITLIST_CUTOFF_MIN: u32 = 120;
pub const DEFAULT_CANCEL_CUTOFF_MIN: u32 = 720;

/// One setting and its value: each is changed, and merged, on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "setting", content = "value")]
pub enum Setting {
    /// The club's IANA time zone: what "today" and every date are computed in.
    TimeZone(String),
    /// A second check-in of a member within this many minutes is a duplicate (1 min to 6 h).
    DuplicateWindowMinutes(u32),
    /// A member counts as in the club for this many minutes after entering (30 min to 24 h).
    AutoCheckOutMinutes(u32),
    /// Days after a sale an unpaid membership still admits (with a warning); 0 to 90.
    PaymentGraceDays(u32),
    /// A plan, added or changed (its id is the setting's key).
    Plan(Plan),
    /// Waiting members move up by themselves until this many minutes before a class (0 to 1,440).
    WaitlistCutoffMinutes(u32),
    /// A booking cancelled within this many minutes of the start is a late cancel (0 to 2,880).
    CancelCutoffMinutes(u32),
}

/// What a setting is keyed by for the merge: itself, or a plan's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "key", content = "plan")]
pub enum SettingKey {
    TimeZone,
    DuplicateWindow,
    AutoCheckOut,
    PaymentGrace,
    Plan(uuid::Uuid),
    WaitlistCutoff,
    CancelCutoff,
}

impl Setting {
    pub fn key(&self) -> SettingKey {
        match self {
            Setting::TimeZone(_) => SettingKey::TimeZone,
            Setting::DuplicateWindowMinutes(_) => SettingKey::DuplicateWindow,
            Setting::AutoCheckOutMinutes(_) => SettingKey::AutoCheckOut,
            Setting::PaymentGraceDays(_) => SettingKey::PaymentGrace,
            Setting::Plan(p) => SettingKey::Plan(p.id),
            Setting::WaitlistCutoffMinutes(_) => SettingKey::WaitlistCutoff,
            Setting::CancelCutoffMinutes(_) => SettingKey::CancelCutoff,
        }
    }

    /// The setting as the domain stores it (a plan's name normalised).
    fn normalised(self) -> Setting {
        match self {
            Setting::Plan(mut p) => {
                p.terms = p.terms.normalised();
                Setting::Plan(p)
            }
            Setting::TimeZone(z) => Setting::TimeZone(z.trim().to_owned()),
            other => other,
        }
    }

    /// Checks a normalised value.
    pub fn check(&self) -> Result<(), SettingsError> {
        match self {
            Setting::TimeZone(z) if !calendar::is_zone_name(z) => Err(SettingsError::TimeZone(z.clone())),
            Setting::DuplicateWindowMinutes(m) if !(1..=360).contains(m) => Err(SettingsError::DuplicateWindow),
            Setting::AutoCheckOutMinutes(m) if !(30..=1440).contains(m) => Err(SettingsError::AutoCheckOut),
            Setting::PaymentGraceDays(d) if *d > 90 => Err(SettingsError::PaymentGrace),
            Setting::Plan(p) => p.terms.check().map_err(SettingsError::Plan),
            Setting::WaitlistCutoffMinutes(m) if *m > crate::class::MAX_WAITLIST_CUTOFF_MIN => {
                Err(SettingsError::WaitlistCutoff)
            }
            Setting::CancelCutoffMinutes(m) if *m > crate::class::MAX_CANCEL_CUTOFF_MIN => {
                Err(SettingsError::CancelCutoff)
            }
            _ => Ok(()),
        }
    }

    /// What staff read in a timeline ("duplicate window 10 min").
    pub fn describe(&self) -> String {
        match self {
            Setting::TimeZone(z) => format!("time zone {z}"),
            Setting::DuplicateWindowMinutes(m) => format!("duplicate window {m} min"),
            Setting::AutoCheckOutMinutes(m) => format!("automatic check-out after {m} min"),
            Setting::PaymentGraceDays(d) => format!("payment grace {d} days"),
            Setting::WaitlistCutoffMinutes(m) => format!("waitlist moves up until {m} min before a class"),
            Setting::CancelCutoffMinutes(m) => format!("late cancel within {m} min of a class"),
            Setting::Plan(p) => format!(
                "plan {} ({}, {}){}",
                p.terms.name,
                p.terms.describe(),
                crate::text::money(p.terms.price_cents),
                if p.on_sale { "" } else { ", off sale" }
            ),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{0:?} is not a time-zone name (like Europe/Berlin)")]
    TimeZone(String),
    #[error("the duplicate window is 1 to 360 minutes")]
    DuplicateWindow,
    #[error("automatic check-out is 30 to 1,440 minutes after entry")]
    AutoCheckOut,
    #[error("the waitlist cutoff is 0 to 1,440 minutes before a class")]
    WaitlistCutoff,
    #[error("the cancellation cutoff is 0 to 2,880 minutes before a class")]
    CancelCutoff,
    #[error("payment grace is 0 to 90 days")]
    PaymentGrace,
    #[error(transparent)]
    Plan(PlanError),
    #[error("nothing was changed")]
    NothingChanged,
}

/// What staff with the settings permission ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum ClubCommand {
    /// Sets one setting (adds or changes one plan).
    ChangeSetting(Setting),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ClubEvent {
    ClubSettingChanged {
        setting: Setting,
    },
    /// A change made while another desk changed the same setting, with the later stamp: it stands,
    /// and `overwritten` (the other desk's value; `None` for a plan that did not exist) is kept for
    /// the timeline. Written by the server in place of the device's event (same id).
    ClubSettingMerged {
        setting: Setting,
        overwritten: Option<Setting>,
    },
    /// A change made while another desk changed the same setting, with the earlier stamp: `kept`
    /// stands. Changes nothing; keeps the value visible. Written by the server (same id).
    ClubSettingOverwritten {
        setting: Setting,
        kept: Setting,
    },
    /// Both desks set the same value. Written by the server (same id).
    ClubSettingRepeated {
        setting: Setting,
    },
}

impl DomainEvent for ClubEvent {
    fn event_type(&self) -> &'static str {
        match self {
            ClubEvent::ClubSettingChanged { .. } => "ClubSettingChanged",
            ClubEvent::ClubSettingMerged { .. } => "ClubSettingMerged",
            ClubEvent::ClubSettingOverwritten { .. } => "ClubSettingOverwritten",
            ClubEvent::ClubSettingRepeated { .. } => "ClubSettingRepeated",
        }
    }

    fn known_types() -> &'static [&'static str] {
        &["ClubSettingChanged", "ClubSettingMerged", "ClubSettingOverwritten", "ClubSettingRepeated"]
    }
}

/// The club's settings (defaults until changed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClubSettings {
    pub time_zone: String,
    pub duplicate_window_min: u32,
    pub auto_check_out_min: u32,
    pub payment_grace_days: u32,
    /// Every plan ever defined, by id (those off sale included).
    pub plans: BTreeMap<uuid::Uuid, Plan>,
    #[serde(default = "default_waitlist_cutoff")]
    pub waitlist_cutoff_min: u32,
    #[serde(default = "default_cancel_cutoff")]
    pub cancel_cutoff_min: u32,
    /// When each setting last changed (for the merge).
    #[serde(default)]
    pub changed: BTreeMap<String, FieldStamp>,
}

impl Default for ClubSettings {
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            duplicate_window_min: DEFAULT_DUPLICATE_WINDOW_MIN,
            auto_check_out_min: DEFAULT_AUTO_CHECK_OUT_MIN,
            payment_grace_days: DEFAULT_PAYMENT_GRACE_DAYS,
            plans: BTreeMap::new(),
            waitlist_cutoff_min: DEFAULT_WAITLIST_CUTOFF_MIN,
            cancel_cutoff_min: DEFAULT_CANCEL_CUTOFF_MIN,
            changed: BTreeMap::new(),
        }
    }
}

fn default_waitlist_cutoff() -> u32 {
    DEFAULT_WAITLIST_CUTOFF_MIN
}

fn default_cancel_cutoff() -> u32 {
    DEFAULT_CANCEL_CUTOFF_MIN
}

fn key_name(key: SettingKey) -> String {
    match key {
        SettingKey::TimeZone => "time_zone".into(),
        SettingKey::DuplicateWindow => "duplicate_window".into(),
        SettingKey::AutoCheckOut => "auto_check_out".into(),
        SettingKey::PaymentGrace => "payment_grace".into(),
        SettingKey::Plan(id) => format!("plan:{id}"),
        SettingKey::WaitlistCutoff => "waitlist_cutoff".into(),
        SettingKey::CancelCutoff => "cancel_cutoff".into(),
    }
}

impl ClubSettings {
    /// The value a setting holds now (`None`: a plan not defined).
    pub fn current(&self, key: SettingKey) -> Option<Setting> {
        Some(match key {
            SettingKey::TimeZone => Setting::TimeZone(self.time_zone.clone()),
            SettingKey::DuplicateWindow => Setting::DuplicateWindowMinutes(self.duplicate_window_min),
            SettingKey::AutoCheckOut => Setting::AutoCheckOutMinutes(self.auto_check_out_min),
            SettingKey::PaymentGrace => Setting::PaymentGraceDays(self.payment_grace_days),
            SettingKey::Plan(id) => Setting::Plan(self.plans.get(&id)?.clone()),
            SettingKey::WaitlistCutoff => Setting::WaitlistCutoffMinutes(self.waitlist_cutoff_min),
            SettingKey::CancelCutoff => Setting::CancelCutoffMinutes(self.cancel_cutoff_min),
        })
    }

    /// The rules the entry decision needs from these settings.
    pub fn entry_rules(&self) -> crate::member::EntryRules {
        crate::member::EntryRules {
            window_ms: self.duplicate_window_min as u64 * 60_000,
            grace_days: self.payment_grace_days,
        }
    }

    /// The cutoffs a class scheduled now keeps.
    pub fn cutoffs(&self) -> crate::class::Cutoffs {
        crate::class::Cutoffs { waitlist_min: self.waitlist_cutoff_min, cancel_min: self.cancel_cutoff_min }
    }

    /// Plans on sale, by name.
    pub fn plans_on_sale(&self) -> Vec<&Plan> {
        let mut plans: Vec<&Plan> = self.plans.values().filter(|p| p.on_sale).collect();
        plans.sort_by(|a, b| a.terms.name.cmp(&b.terms.name));
        plans
    }

    fn set(&mut self, setting: &Setting, meta: &EventMeta<'_>) {
        match setting {
            Setting::TimeZone(z) => self.time_zone = z.clone(),
            Setting::DuplicateWindowMinutes(m) => self.duplicate_window_min = *m,
            Setting::AutoCheckOutMinutes(m) => self.auto_check_out_min = *m,
            Setting::PaymentGraceDays(d) => self.payment_grace_days = *d,
            Setting::Plan(p) => {
                self.plans.insert(p.id, p.clone());
            }
            Setting::WaitlistCutoffMinutes(m) => self.waitlist_cutoff_min = *m,
            Setting::CancelCutoffMinutes(m) => self.cancel_cutoff_min = *m,
        }
        self.changed.insert(key_name(setting.key()), FieldStamp::of(meta));
    }

    fn stamp(&self, key: SettingKey) -> FieldStamp {
        self.changed.get(&key_name(key)).cloned().unwrap_or_default()
    }

    fn valid(setting: &Setting) -> bool {
        setting.clone().normalised() == *setting && setting.check().is_ok()
    }
}

impl Aggregate for ClubSettings {
    const KIND: StreamKind = StreamKind::Club;
    /// A club has settings (the defaults) before anyone changes one: two desks' first changes merge.
    const EXISTS_FROM_THE_START: bool = true;
    type Command = ClubCommand;
    type Event = ClubEvent;
    type Error = SettingsError;

    fn permission(_command: &ClubCommand) -> Permission {
        Permission::Settings
    }

    fn decide(&self, command: ClubCommand, _now_ms: u64) -> Result<Vec<ClubEvent>, SettingsError> {
        let ClubCommand::ChangeSetting(setting) = command;
        let setting = setting.normalised();
        setting.check()?;
        if self.current(setting.key()).as_ref() == Some(&setting) {
            return Err(SettingsError::NothingChanged);
        }
        Ok(vec![ClubEvent::ClubSettingChanged { setting }])
    }

    fn evolve(&mut self, event: &ClubEvent, meta: &EventMeta<'_>) {
        match event {
            ClubEvent::ClubSettingChanged { setting } | ClubEvent::ClubSettingMerged { setting, .. } => {
                self.set(setting, meta)
            }
            ClubEvent::ClubSettingOverwritten { .. } | ClubEvent::ClubSettingRepeated { .. } => {}
        }
    }

    fn command_of(event: &ClubEvent) -> Option<(ClubCommand, u64)> {
        match event {
            ClubEvent::ClubSettingChanged { setting } => Some((ClubCommand::ChangeSetting(setting.clone()), 0)),
            _ => None,
        }
    }

    fn resolution_permission(_event: &ClubEvent) -> Option<Permission> {
        Some(Permission::Settings)
    }

    fn policy(_event: &ClubEvent) -> Policy {
        Policy::Merge
    }

    fn resolves(stored: &ClubEvent, sent: &ClubEvent) -> bool {
        match (stored, sent) {
            (
                ClubEvent::ClubSettingMerged { setting, .. }
                | ClubEvent::ClubSettingOverwritten { setting, .. }
                | ClubEvent::ClubSettingRepeated { setting },
                ClubEvent::ClubSettingChanged { setting: sent },
            ) => setting == sent,
            _ => false,
        }
    }

    fn undone(stored: &ClubEvent) -> bool {
        matches!(stored, ClubEvent::ClubSettingOverwritten { .. })
    }

    fn overruled(&self, event: &ClubEvent) -> Option<DeviceId> {
        match event {
            ClubEvent::ClubSettingMerged { setting, .. } => self.stamp(setting.key()).device,
            _ => None,
        }
    }

    fn admits(&self, event: &ClubEvent, _meta: &EventMeta<'_>) -> bool {
        match event {
            ClubEvent::ClubSettingMerged { setting, overwritten } => {
                Self::valid(setting)
                    && self.current(setting.key()) == *overwritten
                    && overwritten.as_ref() != Some(setting)
            }
            ClubEvent::ClubSettingOverwritten { setting, kept } => {
                Self::valid(setting)
                    && kept.key() == setting.key()
                    && self.current(setting.key()).as_ref() == Some(kept)
                    && kept != setting
            }
            ClubEvent::ClubSettingRepeated { setting } => self.current(setting.key()).as_ref() == Some(setting),
            ClubEvent::ClubSettingChanged { .. } => false,
        }
    }

    /// Setting by setting, the later stamp wins; a change the device knew of (at or before its
    /// parent, or its own) is simply decided again.
    fn merge(
        &self,
        event: &ClubEvent,
        meta: &EventMeta<'_>,
        parent: u64,
    ) -> Result<Resolution<ClubEvent>, Unresolved<SettingsError>> {
        let ClubEvent::ClubSettingChanged { setting } = event else { return Err(Unresolved::Conflict) };
        if !Self::valid(setting) {
            let why = setting.check().err().map_or("not written as the domain stores it".into(), |e| e.to_string());
            return Err(Unresolved::Invalid(why));
        }
        let key = setting.key();
        let current = self.current(key);
        let stamp = self.stamp(key);
        if stamp.version <= parent || stamp.device.as_ref() == Some(meta.device) {
            return if current.as_ref() == Some(setting) {
                Err(Unresolved::Broken(SettingsError::NothingChanged))
            } else {
                Ok(Resolution::Keep)
            };
        }
        if current.as_ref() == Some(setting) {
            return Ok(Resolution::Replace(ClubEvent::ClubSettingRepeated { setting: setting.clone() }));
        }
        let later = (stamp.hlc, stamp.device.as_ref()) > (meta.hlc, Some(meta.device));
        Ok(Resolution::Replace(match (later, current) {
            (true, Some(kept)) => ClubEvent::ClubSettingOverwritten { setting: setting.clone(), kept },
            (_, overwritten) => ClubEvent::ClubSettingMerged { setting: setting.clone(), overwritten },
        }))
    }
}

impl crate::projection::Projected for ClubSettings {
    const STREAMS: &'static str = "clubs";
    const TABLES: &'static [crate::projection::Table] = &[];

    fn rows(_envelope: &crate::EventEnvelope, _event: &ClubEvent) -> Vec<crate::projection::Row> {
        vec![]
    }

    fn title(&self) -> String {
        "Club settings".into()
    }
}
