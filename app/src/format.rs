//! Dates and times as staff read them, in the browser's local time zone.

/// "14:05" for a time today, "3 Dec 14:05" otherwise. Uses the JS clock only in the browser.
pub fn time_of(ms: u64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let d = js_sys_date(ms);
        let now = js_sys_date(now_ms());
        let hm = format!("{:02}:{:02}", d.get_hours(), d.get_minutes());
        if d.get_date() == now.get_date()
            && d.get_month() == now.get_month()
            && d.get_full_year() == now.get_full_year()
        {
            hm
        } else {
            const MONTHS: [&str; 12] =
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            format!("{} {} {hm}", d.get_date(), MONTHS[d.get_month() as usize % 12])
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        format!("{ms}")
    }
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

#[cfg(feature = "hydrate")]
fn js_sys_date(ms: u64) -> js_sys::Date {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64))
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

#[cfg(test)]
mod tests {
    #[test]
    fn counts_group_thousands() {
        assert_eq!(super::count(0), "0");
        assert_eq!(super::count(999), "999");
        assert_eq!(super::count(1_200), "1,200");
        assert_eq!(super::count(1_234_567), "1,234,567");
    }

    #[test]
    fn one_change_is_not_plural() {
        assert_eq!(super::changes(1), "1 change");
        assert_eq!(super::changes(1_500), "1,500 changes");
    }
}
