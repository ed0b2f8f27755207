//! Dates and times as staff read them, in the club's time zone (DOMAIN.md "Time"): never the
//! browser's or the server's. In the browser the zone comes from `Intl.DateTimeFormat` (the
//! domain holds no time-zone database, see `shared::calendar`); on the server, which renders
//! nothing club-specific, every zone reads as UTC.

use shared::{
    calendar::{self, Date, Zone},
    club::ClubSettings,
    dashboard::Day,
};
use std::cell::RefCell;

/// The club's time zone: the IANA zone its settings name, or UTC when this browser does not know
/// that name (then [`ClubZone::known`] is false and the pages say so).
#[derive(Clone)]
pub struct ClubZone {
    name: String,
    #[cfg(feature = "hydrate")]
    intl: Option<std::rc::Rc<intl::IntlZone>>,
}

impl ClubZone {
    /// The zone called `name` (IANA), as this browser knows it.
    pub fn named(name: &str) -> ClubZone {
        ClubZone {
            name: name.to_owned(),
            #[cfg(feature = "hydrate")]
            intl: intl::zone(name),
        }
    }

    /// The name the club's settings give.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether times are really in that zone: false when this browser does not know the name
    /// (times are then shown in UTC).
    pub fn known(&self) -> bool {
        #[cfg(feature = "hydrate")]
        {
            self.intl.is_some() || self.name == "UTC"
        }
        #[cfg(not(feature = "hydrate"))]
        {
            true
        }
    }
}

impl Zone for ClubZone {
    fn offset_ms(&self, utc_ms: u64) -> i64 {
        #[cfg(feature = "hydrate")]
        if let Some(zone) = &self.intl {
            return zone.offset_ms(utc_ms);
        }
        let _ = utc_ms;
        0
    }
}

/// The club's zone, from its settings.
pub fn club_zone(settings: &ClubSettings) -> ClubZone {
    ClubZone::named(&settings.time_zone)
}

/// The club-local date now ("today" is the club's day, whatever the browser's zone).
pub fn club_today(settings: &ClubSettings) -> Date {
    calendar::date_of(&club_zone(settings), now_ms())
}

/// The first instant (ms since the epoch) of the club-local `date`: midnight, or the first minute
/// that exists on a night whose clocks skip midnight.
pub fn club_day_start(settings: &ClubSettings, date: Date) -> u64 {
    calendar::day_start_ms(&club_zone(settings), date)
}

/// The club's day now: its date and the instants it runs between (23 or 25 hours on DST nights).
pub fn club_day(settings: &ClubSettings) -> Day {
    Day::at(&club_zone(settings), now_ms())
}

thread_local! {
    /// The zone times are shown in: the club's, set by the runtime from the club's settings as they
    /// load and change ([`show_times_in`]).
    static SHOWN_IN: RefCell<ClubZone> = RefCell::new(ClubZone::named("UTC"));
}

/// Makes every time shown to staff ([`time_of`] and what builds on it) read in the zone of
/// `settings`.
pub fn show_times_in(settings: &ClubSettings) {
    SHOWN_IN.with(|z| {
        if z.borrow().name != settings.time_zone {
            *z.borrow_mut() = club_zone(settings);
        }
    });
}

/// The zone times are shown in now (the club's, once its settings are loaded).
pub fn shown_zone() -> ClubZone {
    SHOWN_IN.with(|z| z.borrow().clone())
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "14:05" for a time today, "3 Dec 14:05" otherwise: the club's wall clock.
pub fn time_of(ms: u64) -> String {
    time_in(&shown_zone(), ms, now_ms())
}

/// [`time_of`] in `zone`, with "today" as of `now_ms`.
pub fn time_in(zone: &dyn Zone, ms: u64, now_ms: u64) -> String {
    let minute = calendar::minute_of_day(zone, ms);
    let hm = format!("{:02}:{:02}", minute / 60, minute % 60);
    let day = calendar::date_of(zone, ms);
    if day == calendar::date_of(zone, now_ms) {
        hm
    } else {
        let (_, m, d) = day.ymd();
        format!("{d} {} {hm}", MONTHS[(m as usize + 11) % 12])
    }
}

/// "18:05": the club's wall clock at `ms`, without the date.
pub fn clock_of(ms: u64) -> String {
    let minute = calendar::minute_of_day(&shown_zone(), ms);
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// "Yoga (Tue 3 Mar 18:00)": a class as staff name it, in the club's time.
pub fn class_label(details: &shared::class::ClassDetails) -> String {
    format!("{} ({} {})", details.title, day_label(details.day), clock_of(details.start_ms))
}

/// "18:00–19:00": when a class runs, in the club's time.
pub fn class_hours(details: &shared::class::ClassDetails) -> String {
    format!("{}–{}", clock_of(details.start_ms), clock_of(details.end_ms()))
}

/// "Tue 3 Mar": a club-local date as staff read it.
pub fn day_label(date: Date) -> String {
    let (_, m, d) = date.ymd();
    format!("{} {d} {}", WEEKDAYS[date.weekday() as usize % 7], MONTHS[(m as usize + 11) % 12])
}

/// Two times as staff can tell them apart: to the minute ("14:05"), or to the second
/// ("14:05:07") when both fall in the same minute.
pub fn two_times(a_ms: u64, b_ms: u64) -> (String, String) {
    if a_ms / 60_000 != b_ms / 60_000 {
        return (time_of(a_ms), time_of(b_ms));
    }
    let seconds = |ms: u64| format!("{}:{:02}", time_of(ms), (ms / 1000) % 60);
    (seconds(a_ms), seconds(b_ms))
}

pub fn now_ms() -> u64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as u64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
}

/// A monotonic clock in ms with sub-millisecond precision (`performance.now()`), for measuring
/// how long a computation took; 0 on the server.
pub fn perf_now() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// The IANA zone names this browser knows, for choosing the club's zone (`["UTC"]` on the server).
pub fn zone_names() -> Vec<String> {
    #[cfg(feature = "hydrate")]
    {
        intl::zone_names()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        vec!["UTC".into()]
    }
}

/// The zone this browser is set to (a hint when choosing the club's), if it says.
pub fn device_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        intl::device_zone()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        None
    }
}

/// "just now", "4 min ago", "2 h ago", or the time.
pub fn ago(ms: u64) -> String {
    let secs = now_ms().saturating_sub(ms) / 1000;
    match secs {
        0..=44 => "just now".into(),
        45..=3599 => format!("{} min ago", (secs + 30) / 60),
        3600..=86_399 => format!("{} h ago", secs / 3600),
        _ => time_of(ms),
    }
}

/// A span of minutes as staff say it: "45 min", "2 h", "1 h 30 min" (the club's cutoffs are kept
/// in minutes; "720 min" reads badly).
pub fn minutes(min: u32) -> String {
    match (min / 60, min % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// "1,200": counts as staff read them.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "1 change", "1,200 changes".
pub fn changes(n: u64) -> String {
    if n == 1 {
        "1 change".into()
    } else {
        format!("{} changes", count(n))
    }
}

/// A zone's offsets as the browser's `Intl` reports them.
#[cfg(feature = "hydrate")]
mod intl {
    use std::{cell::RefCell, collections::HashMap, rc::Rc};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = Intl, js_name = DateTimeFormat)]
        type DateTimeFormat;

        #[wasm_bindgen(constructor, js_namespace = Intl, js_class = "DateTimeFormat", catch)]
        fn new(locale: &str, options: &js_sys::Object) -> Result<DateTimeFormat, JsValue>;

        #[wasm_bindgen(method, js_class = "DateTimeFormat", js_name = format)]
        fn format(this: &DateTimeFormat, ms: f64) -> String;

        #[wasm_bindgen(method, js_class = "DateTimeFormat", js_name = resolvedOptions)]
        fn resolved_options(this: &DateTimeFormat) -> js_sys::Object;

        #[wasm_bindgen(js_namespace = Intl, js_name = supportedValuesOf, catch)]
        fn supported_values_of(key: &str) -> Result<js_sys::Array, JsValue>;
    }

    /// Offsets are looked up per quarter hour of UTC: every offset change since 1970 happens on a
    /// quarter hour, so one answer holds for the whole quarter.
    const QUARTER_MS: u64 = 900_000;
    /// Quarters remembered per zone before the memory starts afresh.
    const REMEMBERED: usize = 20_000;

    pub struct IntlZone {
        format: DateTimeFormat,
        offsets: RefCell<HashMap<u64, i64>>,
    }

    thread_local! {
        /// One formatter per zone name (making one is slow); `None` for a name the browser refused.
        static ZONES: RefCell<HashMap<String, Option<Rc<IntlZone>>>> = RefCell::new(HashMap::new());
    }

    /// The zone called `name`, or `None` if this browser does not know it.
    pub fn zone(name: &str) -> Option<Rc<IntlZone>> {
        ZONES.with(|zones| {
            if let Some(known) = zones.borrow().get(name) {
                return known.clone();
            }
            let zone = formatter(name).ok().map(|format| Rc::new(IntlZone { format, offsets: Default::default() }));
            if zone.is_none() {
                leptos::logging::warn!("this browser does not know the time zone {name:?}: times are shown in UTC");
            }
            zones.borrow_mut().insert(name.to_owned(), zone.clone());
            zone
        })
    }

    /// "MM/DD/YYYY, HH:MM:SS" in `zone`, on a 24-hour clock.
    fn formatter(zone: &str) -> Result<DateTimeFormat, JsValue> {
        let options = js_sys::Object::new();
        for (key, value) in [
            ("timeZone", zone),
            ("hourCycle", "h23"),
            ("year", "numeric"),
            ("month", "2-digit"),
            ("day", "2-digit"),
            ("hour", "2-digit"),
            ("minute", "2-digit"),
            ("second", "2-digit"),
        ] {
            js_sys::Reflect::set(&options, &key.into(), &value.into())?;
        }
        DateTimeFormat::new("en-US", &options)
    }

    impl IntlZone {
        pub fn offset_ms(&self, utc_ms: u64) -> i64 {
            let quarter = utc_ms / QUARTER_MS;
            if let Some(offset) = self.offsets.borrow().get(&quarter) {
                return *offset;
            }
            let at = quarter * QUARTER_MS;
            let offset = self.wall_clock_ms(at).map_or(0, |local| local - at as i64);
            let mut offsets = self.offsets.borrow_mut();
            if offsets.len() >= REMEMBERED {
                offsets.clear();
            }
            offsets.insert(quarter, offset);
            offset
        }

        /// The zone's wall-clock reading of `utc_ms` as ms since the local calendar's epoch.
        fn wall_clock_ms(&self, utc_ms: u64) -> Option<i64> {
            let text = self.format.format(utc_ms as f64);
            let mut numbers =
                text.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).map(str::parse::<u32>);
            let mut next = || numbers.next()?.ok();
            let (month, day, year) = (next()?, next()?, next()?);
            let (hour, minute, second) = (next()?, next()?, next()?);
            let date = shared::calendar::Date::from_ymd(year as i32, month, day)?;
            Some(
                date.days_since_epoch() as i64 * 86_400_000
                    + (hour % 24) as i64 * 3_600_000
                    + minute as i64 * 60_000
                    + second as i64 * 1000,
            )
        }
    }

    /// Every zone name the browser knows, UTC first.
    pub fn zone_names() -> Vec<String> {
        let mut names: Vec<String> = supported_values_of("timeZone")
            .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
            .unwrap_or_default();
        names.retain(|n| n != "UTC");
        names.insert(0, "UTC".into());
        names
    }

    pub fn device_zone() -> Option<String> {
        let format = DateTimeFormat::new("en-US", &js_sys::Object::new()).ok()?;
        js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into()).ok()?.as_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::calendar::{Fixed, Rules};

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_200), "1,200");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn spans_of_minutes_read_in_hours_when_they_are_hours() {
        assert_eq!(minutes(0), "0 min");
        assert_eq!(minutes(45), "45 min");
        assert_eq!(minutes(120), "2 h");
        assert_eq!(minutes(720), "12 h");
        assert_eq!(minutes(90), "1 h 30 min");
    }

    #[test]
    fn one_change_is_not_plural() {
        assert_eq!(changes(1), "1 change");
        assert_eq!(changes(1_500), "1,500 changes");
    }

    fn utc(day: &str, hh: u64, mm: u64) -> u64 {
        day.parse::<Date>().unwrap().days_since_epoch() as u64 * 86_400_000 + hh * 3_600_000 + mm * 60_000
    }

    #[test]
    fn times_read_on_the_clubs_wall_clock_with_the_date_when_not_today() {
        let berlin = Rules::CentralEurope;
        let now = utc("2026-12-01", 12, 0);
        assert_eq!(time_in(&berlin, utc("2026-12-01", 9, 5), now), "10:05");
        assert_eq!(time_in(&Fixed(0), utc("2026-12-01", 9, 5), now), "09:05");
        // 23:30 UTC is already the 2nd in Berlin.
        assert_eq!(time_in(&berlin, utc("2026-12-01", 23, 30), now), "2 Dec 00:30");
        assert_eq!(day_label("2026-12-01".parse().unwrap()), "Tue 1 Dec");
    }
}
