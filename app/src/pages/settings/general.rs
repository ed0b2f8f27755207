//! The club's time zone and the numbers the desk works by: the duplicate window, the automatic
//! check-out, the payment grace. Each is saved on its own (and merged on its own).

use super::{Change, Outcome, OutcomeNote};
use crate::{client::ClientState, format};
use leptos::prelude::*;
use shared::club::{ClubSettings, Setting};

#[component]
pub fn General(state: ClientState, change: Change) -> impl IntoView {
    let settings = state.settings;
    view! {
        <section class="card" data-testid="general-settings">
            <h2>"Time and check-in"</h2>
            <TimeZone settings change/>
            <Number
                id="duplicate-window"
                label="Duplicate window"
                unit="minutes"
                hint="A second check-in of a member within this time is refused (1 to 360)."
                current=Memo::new(move |_| settings.with(|s| s.duplicate_window_min))
                setting=Setting::DuplicateWindowMinutes
                change
            />
            <Number
                id="auto-check-out"
                label="Automatic check-out"
                unit="minutes after entry"
                hint="A member counts as in the club for this long after checking in (30 to 1,440)."
                current=Memo::new(move |_| settings.with(|s| s.auto_check_out_min))
                setting=Setting::AutoCheckOutMinutes
                change
            />
            <Number
                id="payment-grace"
                label="Payment grace"
                unit="days"
                hint="An unpaid membership still admits, with a warning, for this many days after its sale (0 to 90)."
                current=Memo::new(move |_| settings.with(|s| s.payment_grace_days))
                setting=Setting::PaymentGraceDays
                change
            />
        </section>
        <section class="card" data-testid="class-settings">
            <h2>"Classes"</h2>
            <Number
                id="waitlist-cutoff"
                label="Waitlist cutoff"
                unit="minutes before a class"
                hint="A spot freed until then goes to the first on the waitlist by itself; after it, the spot waits for staff (0 to 1,440). Applies to classes scheduled from now on."
                current=Memo::new(move |_| settings.with(|s| s.waitlist_cutoff_min))
                setting=Setting::WaitlistCutoffMinutes
                change
            />
            <Number
                id="cancel-cutoff"
                label="Cancellation cutoff"
                unit="minutes before a class"
                hint="A booking cancelled within this time of the start is a late cancel: a card's visit is used unless a manager waives it (0 to 2,880). Applies to classes scheduled from now on."
                current=Memo::new(move |_| settings.with(|s| s.cancel_cutoff_min))
                setting=Setting::CancelCutoffMinutes
                change
            />
        </section>
    }
    .into_any()
}

/// The club's IANA zone, chosen among those this browser knows.
#[component]
fn TimeZone(settings: RwSignal<ClubSettings>, change: Change) -> impl IntoView {
    let current = Memo::new(move |_| settings.with(|s| s.time_zone.clone()));
    let chosen = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<Outcome>);
    let names = StoredValue::new(format::zone_names());
    let device = format::device_zone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let zone = chosen.get_untracked().unwrap_or_else(|| current.get_untracked());
        let said = format!("Saved: the club's time zone is {zone}.");
        change.run(Setting::TimeZone(zone), move |result| {
            outcome.set(Some(match result {
                Ok(()) => {
                    chosen.set(None);
                    Outcome::Saved(said)
                }
                Err(why) => Outcome::Refused(why),
            }))
        });
    };
    view! {
        <form class="setting" on:submit=submit data-testid="time-zone-form">
            <label for="time-zone">"Time zone"</label>
            <div class="setting-row">
                <select
                    id="time-zone"
                    on:change=move |ev| {
                        outcome.set(None);
                        chosen.set(Some(event_target_value(&ev)));
                    }
                >
                    {move || {
                        let selected = chosen.get().unwrap_or_else(|| current.get());
                        let mut options = names.get_value();
                        // A zone this browser does not list is still the club's: it stays offered.
                        if !options.contains(&selected) {
                            options.insert(0, selected.clone());
                        }
                        options
                            .into_iter()
                            .map(|name| {
                                let (is, label) = (name == selected, name.clone());
                                view! { <option value=name selected=is>{label}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <button type="submit">"Save"</button>
            </div>
            <p class="hint">
                "\"Today\", expiry dates and every time shown are in the club's zone. "
                {device.map(|d| format!("This device is set to {d}."))}
            </p>
            <OutcomeNote outcome testid="time-zone-outcome"/>
        </form>
    }
    .into_any()
}

/// One whole-number setting with its unit, saved on its own.
#[component]
fn Number(
    id: &'static str,
    label: &'static str,
    unit: &'static str,
    hint: &'static str,
    current: Memo<u32>,
    setting: fn(u32) -> Setting,
    change: Change,
) -> impl IntoView {
    // What staff typed, until saved (the stored value shows otherwise, and follows other desks).
    let typed = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<Outcome>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = typed.get_untracked().unwrap_or_else(|| current.get_untracked().to_string());
        let Ok(n) = text.trim().parse::<u32>() else {
            outcome.set(Some(Outcome::Refused(format!("Write the {} as a whole number.", label.to_lowercase()))));
            return;
        };
        change.run(setting(n), move |result| {
            outcome.set(Some(match result {
                Ok(()) => {
                    typed.set(None);
                    Outcome::Saved(format!("Saved: {} {n} {unit}.", label.to_lowercase()))
                }
                Err(why) => Outcome::Refused(why),
            }))
        });
    };
    view! {
        <form class="setting" on:submit=submit data-testid=format!("{id}-form")>
            <label for=id>{label}</label>
            <div class="setting-row">
                <input
                    id=id
                    type="number"
                    inputmode="numeric"
                    min="0"
                    prop:value=move || typed.get().unwrap_or_else(|| current.get().to_string())
                    on:input=move |ev| {
                        outcome.set(None);
                        typed.set(Some(event_target_value(&ev)));
                    }
                />
                <span class="unit">{unit}</span>
                <button type="submit">"Save"</button>
            </div>
            <p class="hint">{hint}</p>
            <OutcomeNote outcome testid=format!("{id}-outcome")/>
        </form>
    }
    .into_any()
}
