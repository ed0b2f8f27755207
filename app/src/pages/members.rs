use crate::{
    client::{Client, MemberRow},
    components::with_client::WithClient,
    format,
};
use leptos::{prelude::*, task::spawn_local};
use shared::member::MemberCommand;

/// Results shown at once; the search narrows the rest down.
const SHOWN: usize = 100;

/// The front desk's home: find a member as you type, check them in with one tap.
#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <MemberSearch client/> }/>
    }
}

/// `needle` is the lower-cased query; `compact` the same without spaces, for phone numbers. Both are
/// computed once per keystroke, not once per member.
fn matches(m: &MemberRow, needle: &str, compact: &str) -> bool {
    needle.is_empty()
        || m.name.to_lowercase().contains(needle)
        || m.email.to_lowercase().contains(needle)
        || m.phone.chars().filter(|c| !c.is_whitespace()).collect::<String>().contains(compact)
}

#[component]
fn MemberSearch(client: Client) -> impl IntoView {
    let query = RwSignal::new(String::new());
    let show_archived = RwSignal::new(false);
    let message = RwSignal::new(None::<(bool, String)>);
    let members = client.state.members;
    let found = Memo::new(move |_| {
        let needle = query.get().trim().to_lowercase();
        let compact = needle.replace(' ', "");
        let archived = show_archived.get();
        members.with(|all| {
            let mut hits: Vec<MemberRow> =
                all.iter().filter(|m| (archived || !m.archived) && matches(m, &needle, &compact)).cloned().collect();
            hits.sort_by_cached_key(|m| m.name.to_lowercase());
            hits
        })
    });
    let api = client.api();
    let check_in = move |m: MemberRow| {
        let api = api.clone();
        spawn_local(async move {
            let outcome = api.execute(m.id, MemberCommand::CheckIn).await;
            message.set(Some(match outcome {
                Ok(()) => (true, format!("{} checked in", m.name)),
                Err(e) => (false, format!("{}: {e}", m.name)),
            }));
        });
    };
    let check_in = StoredValue::new_local(check_in);
    view! {
        <h1>"Members"</h1>
        <div class="search">
            <label for="member-search">"Search members"</label>
            <input
                id="member-search"
                type="search"
                placeholder="Name, e-mail or phone"
                autocomplete="off"
                prop:value=query
                on:input=move |ev| query.set(event_target_value(&ev))
            />
            <label class="inline">
                <input type="checkbox" prop:checked=show_archived on:change=move |ev| show_archived.set(event_target_checked(&ev))/>
                " Show archived"
            </label>
            <a class="button" href="/members/new">"Register a member"</a>
        </div>
        {move || message.get().map(|(ok, text)| view! {
            <p class={if ok { "notice ok" } else { "notice error" }} role="status">{text}</p>
        })}
        <p class="count">
            {move || {
                let n = found.with(Vec::len);
                let total = members.with(|all| all.iter().filter(|m| !m.archived).count());
                if n > SHOWN { format!("{SHOWN} of {n} shown — type to narrow down") } else { format!("{n} of {total} members") }
            }}
        </p>
        <ul class="member-list" data-testid="member-list">
            <For
                each=move || found.get().into_iter().take(SHOWN)
                key=|m| (m.id, m.name.clone(), m.email.clone(), m.phone.clone(), m.pending, m.archived, m.last_check_in_ms)
                let:m
            >
                <li class:archived=m.archived>
                    <a class="member-link" href=format!("/members/{}", m.id)>
                        <strong>{m.name.clone()}</strong>
                        <span class="contact">{[m.email.clone(), m.phone.clone()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · ")}</span>
                    </a>
                    <span class="last">{m.last_check_in_ms.map(|t| format!("in {}", format::ago(t)))}</span>
                    {(m.pending > 0).then(|| view! { <span class="tag pending">"pending"</span> })}
                    {m.archived.then(|| view! { <span class="tag">"archived"</span> })}
                    {(!m.archived).then(|| {
                        let m = m.clone();
                        view! {
                            <button class="quick-check-in" on:click=move |_| check_in.with_value(|f| f(m.clone()))>"Check in"</button>
                        }
                    })}
                </li>
            </For>
        </ul>
    }
}
