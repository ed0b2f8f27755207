use crate::{client::use_client, format};
use leptos::prelude::*;

/// Always visible: online or not, how many changes wait for the server, when it last answered.
#[component]
pub fn SyncBadge() -> impl IntoView {
    let Some(client) = use_client() else {
        return view! { <span class="sync-badge">"…"</span> }.into_any();
    };
    let sync = client.state.sync;
    let online = move || sync.with(|s| s.online);
    view! {
        <div
            class="sync-badge"
            data-testid="sync-badge"
            data-online=move || online().to_string()
            title=move || sync.with(|s| s.last_error.clone().unwrap_or_default())
        >
            <span class=move || { if online() { "dot online" } else { "dot offline" } }></span>
            <span data-testid="sync-online">{move || if online() { "Online" } else { "Offline" }}</span>
            <span
                data-testid="sync-pending"
                data-count=move || sync.with(|s| s.pending).to_string()
                class=move || { if sync.with(|s| s.pending) > 0 { "pending-count waiting" } else { "pending-count" } }
            >
                {move || sync.with(|s| format!("{} pending", s.pending))}
            </span>
            {move || {
                let rejected = sync.with(|s| s.rejected);
                (rejected > 0).then(|| view! { <span class="rejected-count" data-testid="sync-rejected">{format!("{rejected} not accepted")}</span> })
            }}
            <span data-testid="sync-last" class="last-sync">
                {move || match sync.with(|s| s.last_sync_ms) {
                    Some(ms) => format!("synced {}", format::time_of(ms)),
                    None => "never synced".to_owned(),
                }}
            </span>
        </div>
    }
    .into_any()
}
