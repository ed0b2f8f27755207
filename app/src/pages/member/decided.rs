//! What the server decided about this member's changes made on this desk, shown on the member's
//! page until staff settle it in the inbox.

use crate::{
    client::{Client, InboxEntry, InboxKind, StoreError},
    format,
};
use leptos::prelude::*;
use uuid::Uuid;

pub type Entries = LocalResource<Result<Vec<InboxEntry>, StoreError>>;

/// This member's inbox entries, read again after every change to the local store.
pub fn entries(client: &Client, member: Uuid) -> Entries {
    let revision = client.state.revision;
    let api = client.api();
    LocalResource::new(move || {
        revision.track();
        let api = api.clone();
        async move { Ok(api.inbox().await?.into_iter().filter(|e| e.member == member).collect()) }
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
pub fn Decided(entries: Entries) -> impl IntoView {
    move || {
        let entries = entries.get().and_then(Result::ok).unwrap_or_default();
        (!entries.is_empty()).then(|| {
            view! {
                <div class="notice warn" role="status" data-testid="member-decided">
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
