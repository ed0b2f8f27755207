use crate::{
    client::{Client, InboxEntry, InboxKind, Settle},
    components::with_client::WithClient,
    format, sentences,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};

/// Corrections and conflicts: what the server decided about this desk's changes when another desk
/// had changed the same member, and what staff can do about each.
#[component]
pub fn InboxPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <Inbox client/> }/>
    }
}

#[component]
fn Inbox(client: Client) -> impl IntoView {
    let revision = client.state.revision;
    let api = client.api();
    let entries = LocalResource::new(move || {
        revision.track();
        let api = api.clone();
        async move { api.inbox().await }
    });
    // Why settling an entry failed, shown beside that entry.
    let error = RwSignal::new(None::<(uuid::Uuid, String)>);
    let api = StoredValue::new_local(client.api());
    let settle = move |entry: &InboxEntry, how: Settle| {
        let (id, api) = (entry.event_id, api.get_value());
        leptos::task::spawn_local(async move {
            error.set(api.settle(id, how).await.err().map(|e| (id, sentences::refusal(&e))));
        });
    };
    let role = client.state.role();
    view! {
        <h1>"Corrections and conflicts"</h1>
        <p class="hint">
            "When two desks change the same member or class (the last spot of a class, a booking cancelled on both), the server joins their changes where it can and refuses them where it cannot. What it decided about this desk's changes is listed here."
        </p>
        {move || match entries.get() {
            None => EitherOf3::A(view! { <p class="loading">"Loading…"</p> }),
            Some(Err(e)) => EitherOf3::B(view! { <p class="notice error" role="alert">{sentences::store_failed(&e)}</p> }),
            Some(Ok(entries)) => EitherOf3::C(view! {
                {entries.is_empty().then(|| view! { <p data-testid="inbox-empty">"Nothing waits for you here."</p> })}
                <ol class="inbox" data-testid="inbox">
                    {entries.into_iter().map(|entry| {
                        // Deciding it again needs what its command needs of the role at the desk.
                        let may_apply = role.get().is_some_and(|role| entry.permission.is_none_or(|p| role.can(p)));
                        // Erased: the page's type is too deep for the compiler otherwise.
                        entry_view(entry, may_apply, settle, error).into_any()
                    }).collect_view()}
                </ol>
            }.into_any()),
        }}
    }
}

fn entry_view(
    entry: InboxEntry,
    may_apply: bool,
    settle: impl Fn(&InboxEntry, Settle) + Copy + 'static,
    error: RwSignal<Option<(uuid::Uuid, String)>>,
) -> impl IntoView {
    let id = entry.event_id;
    let refused = move || {
        error.get().filter(|(on, _)| *on == id).map(|(_, e)| {
            view! { <p class="notice error" role="alert" data-testid="inbox-error">{format!("Still not possible: {e}")}</p> }
        })
    };
    let (href, unknown) = match entry.stream.kind {
        shared::StreamKind::Class => (format!("/classes/{}", entry.member), "A class"),
        shared::StreamKind::Club => ("/settings".to_owned(), "The club's settings"),
        shared::StreamKind::Member => (format!("/members/{}", entry.member), "A member"),
    };
    let who = if entry.member_name.is_empty() { unknown.to_owned() } else { entry.member_name.clone() };
    let (kind, decided, actions) = match &entry.kind {
        InboxKind::Conflict { reason, blocked } => (
            "conflict",
            format!("Not accepted: {reason}."),
            Either::Left({
                let (again, drop) = (entry.clone(), entry.clone());
                // Not offered while a rule would refuse it: staff are told what stands in the way.
                let apply = match blocked {
                    _ if !may_apply => None,
                    None => Some(Either::Left(view! {
                        <button data-testid="inbox-apply" on:click=move |_| settle(&again, Settle::ApplyAgain)>"Apply mine on top"</button>
                    })),
                    Some(rule) => Some(Either::Right(view! {
                        <p class="hint" data-testid="inbox-blocked">
                            {format!("It cannot be applied on top as things stand: {}", sentences::rule_broken(rule))}
                        </p>
                    })),
                };
                view! {
                    {apply}
                    <button class="secondary" data-testid="inbox-discard" on:click=move |_| settle(&drop, Settle::Discard)>"Discard mine"</button>
                }
            }),
        ),
        InboxKind::Correction => (
            "correction",
            "Another desk changed the same at the same time; the server decided as above, the same on every device."
                .to_owned(),
            Either::Right({
                let seen = entry.clone();
                view! { <button data-testid="inbox-ok" on:click=move |_| settle(&seen, Settle::Acknowledge)>"OK"</button> }
            }),
        ),
    };
    view! {
        <li class=format!("inbox-entry {kind}") data-kind=kind data-testid="inbox-entry">
            <a href=href>{who}</a>
            <span class="what">{entry.summary.clone()}</span>
            <time>{format::time_of(entry.at_ms)}</time>
            <p class="decided">{decided}</p>
            {refused}
            <div class="actions">{actions}</div>
        </li>
    }
}
