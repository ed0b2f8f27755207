use crate::{client::use_client, format};
use leptos::prelude::*;

/// The server no longer takes this device's session (it ended, or was revoked): staff keep working
/// here until the local session ends, and are told that nothing reaches the server until someone
/// signs in again.
#[component]
pub fn SignInAgain() -> impl IntoView {
    let client = use_client()?;
    let state = client.state;
    Some(move || {
        let signed_out = state.sync.with(|s| s.signed_out);
        if !signed_out || state.active().is_none() {
            return None;
        }
        let pending = state.sync.with(|s| s.counts.pending);
        let text = match pending {
            0 => "The server signed this device out. Sign in again to receive the other desks' changes.".to_owned(),
            1 => "The server signed this device out. Sign in again to send your pending change.".to_owned(),
            n => format!(
                "The server signed this device out. Sign in again to send your {} pending changes.",
                format::count(n.into())
            ),
        };
        Some(view! {
            <p class="banner warning" role="alert" data-testid="sign-in-again" data-pending=pending.to_string()>
                <span>{text}</span>
                <a class="button" href="/login">"Sign in again"</a>
            </p>
        })
    })
}
