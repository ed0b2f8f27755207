use crate::{client::use_client, sentences};
use leptos::prelude::*;

/// On every page while this device's clock is wrong: the server refuses what a fast clock stamps,
/// and a slow one records every time wrong.
#[component]
pub fn ClockWarning() -> impl IntoView {
    let client = use_client()?;
    let sync = client.state.sync;
    Some(move || {
        sync.with(|s| {
            let warning = s.status.clock_warning()?;
            let consequence = if s.status.clock_skew_ms.unwrap_or(0) > 0 {
                "changes made here are refused by the server until then"
            } else {
                "the times of changes made here are wrong until then"
            };
            Some(view! {
                <p class="banner warning" role="alert" data-testid="clock-warning">
                    {format!("{}. Set its date and time right: {consequence}.", sentences::capitalise(&warning))}
                </p>
            })
        })
    })
}
