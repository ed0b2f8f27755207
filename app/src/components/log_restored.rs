use crate::{client::use_client, format};
use leptos::prelude::*;

/// After the server's log was found replaced (restored from an older copy): what this device did
/// about it, so staff know why changes went pending again.
#[component]
pub fn LogRestored() -> impl IntoView {
    let client = use_client()?;
    let sync = client.state.sync;
    Some(move || {
        sync.with(|s| {
            let found = s.status.log_replaced_ms;
            if found.is_none() && !s.status.resyncing {
                return None;
            }
            let when = found.map(|ms| format!(" (at {})", format::time_of(ms))).unwrap_or_default();
            let done = match (s.status.resyncing, s.reoffered) {
                (true, _) | (false, None) => "This device is syncing again from the start; nothing is lost.".to_owned(),
                (false, Some(0)) => "This device synced again: the server had all of its changes.".to_owned(),
                (false, Some(1)) => {
                    "This device synced again and is sending back 1 change the server no longer had.".to_owned()
                }
                (false, Some(n)) => format!(
                    "This device synced again and is sending back {} changes the server no longer had.",
                    format::count(n.into())
                ),
            };
            Some(view! {
                <p class="banner info" role="status" data-testid="log-restored">
                    {format!("The server's data was restored from an older copy{when}. {done}")}
                </p>
            })
        })
    })
}
