//! What the server decided about this member's changes made on this desk, shown on the member's
//! page until staff settle it in the inbox.

use crate::{
    client::{Client, InboxEntry, InboxKind, StoreError},
    format,
};
use leptos::prelude::*;
use uuid::Uuid;

pub type Entries = LocalResource<Result<Vec<InboxEntry>, StoreError>>;

/// This member's inbox entries (their class bookings' too), read again after every change to the
/// local store.
pub fn entries(client: &Client, member: Uuid) -> Entries {
    entries_of(client, move |e| e.member == member || e.about == Some(member))
}

/// The inbox entries `keep` keeps, read again after every change to the local store.
pub fn entries_of(client: &Client, keep: impl Fn(&InboxEntry) -> bool + Copy + Send + Sync + 'static) -> Entries {
    let revision = client.state.revision;
    let api = client.api();
    LocalResource::new(move || {
        revision.track();
        let api = api.clone();
        async move { Ok(api.inbox().await?.into_iter().filter(keep).collect()) }
    })
}

/// Runs `clear` whenever more decisions wait than before (not when staff settle one).
pub fn clear_when_more(waiting: Signal<usize>, clear: impl Fn() + 'static) {
    Effect::new(move |before: Option<usize>| {
        let now = waiting.get();
        if before.is_some_and(|before| now > before) {
            clear();
        }
        now
    });
}

#[component]
pub fn Decided(entries: Entries, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    let testid = testid.unwrap_or("member-decided");
    move || {
        let entries = entries.get().and_then(Result::ok).unwrap_or_default();
        (!entries.is_empty()).then(|| {
            view! {
                <div class="notice warn" role="status" data-testid=testid>
                    <p>"What became of changes made on this desk:"</p>
                    <ul>
                        {entries.into_iter().map(|e| {
                            let what = match e.kind {
                                InboxKind::Conflict { reason, blocked: None } => format!("{} ({}): not accepted — {reason}. It can be applied now, from the inbox.", e.summary, format::time_of(e.at_ms)),
                                InboxKind::Conflict { reason, .. } => format!("{} ({}): not accepted — {reason}", e.summary, format::time_of(e.at_ms)),
                                InboxKind::Correction => e.summary,
                            };
                            view! { <li>{what}</li> }
                        }).collect_view()}
                    </ul>
                    <a href="/inbox">"Open corrections and conflicts"</a>
                </div>
            }
        })
    }
}
