use crate::client::{use_client, StoreState};
use leptos::prelude::*;

/// When this device's store cannot be used as it is: another tab holds it, or another version of
/// the app changed it. Each case says what staff can do; nothing stored is lost in any of them.
#[component]
pub fn StoreNotice() -> impl IntoView {
    let client = use_client()?;
    let store = client.state.store;
    Some(move || {
        let (text, reload) = match store.get() {
            StoreState::Blocked => (
                "Faraday is waiting for its other tabs: close every other Faraday tab or window on this device \
                 so this one can update its data."
                    .to_owned(),
                false,
            ),
            StoreState::NewerVersion => {
                ("A newer version of Faraday has updated this device's data. Reload to use it.".to_owned(), true)
            }
            // Reloading by itself: nothing waits to be sent.
            StoreState::Replaced { pending: 0 } => ("Faraday was updated in another tab: reloading…".to_owned(), false),
            StoreState::Replaced { pending } => (
                format!(
                    "Faraday was updated in another tab. Reload this page to carry on: your {pending} {} not yet \
                     sent {} kept on this device.",
                    if pending == 1 { "change" } else { "changes" },
                    if pending == 1 { "is" } else { "are" },
                ),
                true,
            ),
            _ => return None,
        };
        Some(view! {
            <div class="banner warning" role="alert" data-testid="store-notice">
                <span>{text}</span>
                {reload.then(|| view! { <button type="button" on:click=|_| reload_page()>"Reload"</button> })}
            </div>
        })
    })
}

fn reload_page() {
    if let Err(e) = window().location().reload() {
        leptos::logging::warn!("reload failed: {e:?}");
    }
}
