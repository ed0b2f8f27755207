use crate::{client::use_client, sentences};
use leptos::prelude::*;

/// On every page while this device's clock is wrong: the server refuses what is stamped with it.
#[component]
pub fn ClockWarning() -> impl IntoView {
    let client = use_client()?;
    let sync = client.state.sync;
    Some(move || {
        sync.with(|s| s.status.clock_warning()).map(|warning| {
            view! {
                <p class="banner warning" role="alert" data-testid="clock-warning">
                    {format!(
                        "{}. Set its date and time right: changes made here are refused by the server until then.",
                        sentences::capitalise(&warning),
                    )}
                </p>
            }
        })
    })
}
