use crate::{client::use_client, sentences};
use leptos::prelude::*;

/// On every page while this device's clock is known to be wrong: a fast clock gets what it stamps
/// refused by the server, a slow one records every time wrong, so the device records nothing until
/// the clock is set right (it notices by itself, offline too).
#[component]
pub fn ClockWarning() -> impl IntoView {
    let client = use_client()?;
    let clock_off = client.state.clock_off;
    Some(move || {
        clock_off.get().map(|off| {
            view! {
                <p class="banner warning" role="alert" data-testid="clock-warning">
                    {format!(
                        "{}. Set its date and time right: until then nothing can be recorded here.",
                        sentences::capitalise(&off.to_string()),
                    )}
                </p>
            }
        })
    })
}
