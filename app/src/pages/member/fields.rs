//! Small inputs the membership forms share: a club-local date, an amount of money, a reason.

use leptos::prelude::*;
use shared::calendar::Date;

/// A labelled date input bound to `value` (ISO `YYYY-MM-DD`, as the browser's date input gives it).
/// Its test id is `name`; its element id `name-scope` (one form per membership may be open).
#[component]
pub fn DateInput(
    name: &'static str,
    #[prop(into)] scope: String,
    label: &'static str,
    value: RwSignal<Option<Date>>,
    /// The earliest date offered (the browser keeps the picker to it; the rules decide anyway).
    #[prop(optional, into)]
    min: Signal<Option<Date>>,
) -> impl IntoView {
    let id = format!("{name}-{scope}");
    view! {
        <label for=id.clone()>{label}</label>
        <input
            id=id
            type="date"
            data-testid=name
            min=move || min.get().map(|d| d.to_string())
            prop:value=move || value.get().map(|d| d.to_string()).unwrap_or_default()
            on:input=move |ev| value.set(event_target_value(&ev).parse().ok())
        />
    }
}

/// A labelled text input bound to `value` (ids as [`DateInput`]'s).
#[component]
pub fn TextInput(
    name: &'static str,
    #[prop(into)] scope: String,
    label: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    let id = format!("{name}-{scope}");
    view! {
        <label for=id.clone()>{label}</label>
        <input id=id type="text" autocomplete="off" data-testid=name prop:value=value
            on:input=move |ev| value.set(event_target_value(&ev))/>
    }
}

/// An amount as staff type it ("50", "49.9", "49,90") in cents; `None` if it is not one.
pub fn cents(typed: &str) -> Option<u64> {
    let typed = typed.trim().replace(',', ".");
    let (whole, fraction) = typed.split_once('.').unwrap_or((&typed, ""));
    if whole.is_empty() && fraction.is_empty() || fraction.len() > 2 {
        return None;
    }
    if !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let fraction: u64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

#[cfg(test)]
mod tests {
    use super::cents;

    #[test]
    fn amounts_are_read_as_staff_type_them() {
        assert_eq!(cents("50"), Some(5_000));
        assert_eq!(cents(" 49.9 "), Some(4_990));
        assert_eq!(cents("49,90"), Some(4_990));
        assert_eq!(cents(".5"), Some(50));
        assert_eq!(cents("1.234"), None);
        assert_eq!(cents("ten"), None);
        assert_eq!(cents(""), None);
        assert_eq!(cents("-5"), None);
    }
}
