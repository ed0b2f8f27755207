use crate::{
    client::{use_client, SyncView},
    format, sentences,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use shared::replication::Connection;
use std::time::Duration;

/// Always visible: whether the server answers, how many changes wait for it, when it last answered,
/// and, while sync fails, why and when it tries again.
#[component]
pub fn SyncBadge() -> impl IntoView {
    let client = use_client();
    let sync = client.as_ref().map(|client| client.state.sync);
    let api = client.map(|client| StoredValue::new_local(client.api()));
    // Ticks once a second, for "retrying in 12 s" (read only while a retry is due).
    let now = RwSignal::new(format::now_ms());
    if let Ok(handle) = set_interval_with_handle(move || now.set(format::now_ms()), Duration::from_secs(1)) {
        on_cleanup(move || handle.clear());
    }
    // One reactive view for the whole badge: it changes as a whole, and one closure is much less
    // code in the wasm than one per attribute and text.
    move || match sync {
        None => Either::Left(view! { <span class="sync-badge">"…"</span> }),
        Some(sync) => Either::Right(sync.with(|s| {
            let try_now = move || {
                if let Some(api) = api {
                    api.with_value(|api| api.sync_now());
                }
            };
            badge(s, s.status.retry_at_ms.map(|_| now.get()).unwrap_or(0), try_now)
        })),
    }
}

fn badge<F: Fn() + Send + Sync + 'static>(s: &SyncView, now_ms: u64, try_now: F) -> impl IntoView + use<F> {
    let (key, label) = connection(s.status.connection);
    let counts = s.counts;
    let waiting = if counts.pending > 0 { "pending-count waiting" } else { "pending-count" };
    let for_staff = counts.rejected + counts.corrected;
    // "synced" only when nothing the server is known to have is missing here.
    let behind = s.to_receive();
    let receiving = s.status.connection == Connection::Online;
    let last = match (s.progress, s.status.last_sync_ms) {
        (Some(p), _) if receiving => EitherOf3::A(view! {
            <span data-testid="sync-progress" class="progress">
                {format!("Updating… {} of {}", format::count(p.done), format::count(p.total))}
            </span>
        }),
        _ if behind > 0 => EitherOf3::B(view! {
            <span data-testid="sync-behind" class="progress" data-count=behind.to_string()>
                {format!("{} not received yet", format::changes(behind))}
            </span>
        }),
        (_, last) => EitherOf3::C(view! {
            <span data-testid="sync-last" class="last-sync">
                {match last {
                    Some(ms) => format!("synced {}", format::time_of(ms)),
                    None => "never synced".to_owned(),
                }}
            </span>
        }),
    };
    view! {
        <div class="sync-badge" data-testid="sync-badge" data-connection=key>
            <span class=format!("dot {key}")></span>
            <span data-testid="sync-connection" data-state=key>{label}</span>
            <span data-testid="sync-pending" data-count=counts.pending.to_string() class=waiting>
                {format!("{} pending", format::count(counts.pending.into()))}
            </span>
            // One tap to the inbox, from every page: what the server decided for this desk.
            {(for_staff > 0).then(|| view! {
                <a class="inbox-count" href="/inbox" data-testid="sync-inbox"
                    data-conflicts=counts.rejected.to_string() data-corrections=counts.corrected.to_string()>
                    {inbox_label(counts.rejected, counts.corrected)}
                </a>
            })}
            {last}
            {reason(s, now_ms).map(|text| view! { <span class="sync-reason" data-testid="sync-reason">{text}</span> })}
            {(s.status.connection == Connection::Unreachable).then(|| view! {
                <button class="sync-now" data-testid="sync-now" on:click=move |_| try_now()>"Try now"</button>
            })}
        </div>
    }
}

/// "2 conflicts · 1 correction".
fn inbox_label(conflicts: u32, corrections: u32) -> String {
    let plural = |n: u32, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    match (conflicts, corrections) {
        (0, c) => plural(c, "correction", "corrections"),
        (r, 0) => plural(r, "conflict", "conflicts"),
        (r, c) => format!("{} · {}", plural(r, "conflict", "conflicts"), plural(c, "correction", "corrections")),
    }
}

/// A stable name (for tests and styles) and the words for staff.
fn connection(connection: Connection) -> (&'static str, &'static str) {
    match connection {
        Connection::Offline => ("offline", "Offline"),
        Connection::Connecting => ("connecting", "Connecting…"),
        Connection::Online => ("online", "Online"),
        Connection::Unreachable => ("unreachable", "Server unreachable"),
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
