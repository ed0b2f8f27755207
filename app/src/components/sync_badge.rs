use crate::{
    client::{use_client, SyncView},
    format, sentences,
};
use leptos::prelude::*;
use shared::replication::Connection;
use std::time::Duration;

/// Always visible: whether the server answers, how many changes wait for it, when it last answered,
/// and, while sync fails, why and when it tries again.
#[component]
pub fn SyncBadge() -> impl IntoView {
    let Some(client) = use_client() else {
        return view! { <span class="sync-badge">"…"</span> }.into_any();
    };
    let sync = client.state.sync;
    // Ticks once a second, for "retrying in 12 s".
    let now = RwSignal::new(format::now_ms());
    if let Ok(handle) = set_interval_with_handle(move || now.set(format::now_ms()), Duration::from_secs(1)) {
        on_cleanup(move || handle.clear());
    }
    let connection = move || sync.with(|s| s.status.connection);
    view! {
        <div class="sync-badge" data-testid="sync-badge" data-connection=move || key(connection())>
            <span class=move || format!("dot {}", key(connection()))></span>
            <span data-testid="sync-connection" data-state=move || key(connection())>
                {move || label(connection())}
            </span>
            <span
                data-testid="sync-pending"
                data-count=move || sync.with(|s| s.pending).to_string()
                class=move || { if sync.with(|s| s.pending) > 0 { "pending-count waiting" } else { "pending-count" } }
            >
                {move || sync.with(|s| format!("{} pending", format::count(s.pending.into())))}
            </span>
            {move || {
                let rejected = sync.with(|s| s.rejected);
                (rejected > 0).then(|| view! { <span class="rejected-count" data-testid="sync-rejected">{format!("{rejected} not accepted")}</span> })
            }}
            {move || match sync.with(|s| s.progress) {
                Some(p) => view! {
                    <span data-testid="sync-progress" class="progress">
                        {format!("Updating… {} of {}", format::count(p.done), format::count(p.total))}
                    </span>
                }.into_any(),
                None => view! {
                    <span data-testid="sync-last" class="last-sync">
                        {move || match sync.with(|s| s.status.last_sync_ms) {
                            Some(ms) => format!("synced {}", format::time_of(ms)),
                            None => "never synced".to_owned(),
                        }}
                    </span>
                }.into_any(),
            }}
            {move || sync.with(|s| reason(s, now.get())).map(|text| view! {
                <span class="sync-reason" data-testid="sync-reason">{text}</span>
            })}
        </div>
    }
    .into_any()
}

/// Stable names for tests and styles.
fn key(connection: Connection) -> &'static str {
    match connection {
        Connection::Offline => "offline",
        Connection::Connecting => "connecting",
        Connection::Online => "online",
        Connection::Unreachable => "unreachable",
    }
}

fn label(connection: Connection) -> &'static str {
    match connection {
        Connection::Offline => "Offline",
        Connection::Connecting => "Connecting…",
        Connection::Online => "Online",
        Connection::Unreachable => "Server unreachable",
    }
}

/// Why sync is failing, in words on screen (not in a tooltip), with the next try.
fn reason(sync: &SyncView, now_ms: u64) -> Option<String> {
    let why = match (&sync.store_error, sync.status.connection) {
        (Some(store), _) => store.clone(),
        (None, Connection::Unreachable) => sync.status.last_error.clone()?,
        _ => return None,
    };
    let mut text = sentences::capitalise(&why);
    if let Some(at) = sync.status.retry_at_ms {
        text.push_str(&format!(" · retrying in {} s", at.saturating_sub(now_ms).div_ceil(1000)));
    }
    Some(text)
}
