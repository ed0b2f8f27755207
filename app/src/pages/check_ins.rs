use crate::{
    client::{CheckInHow, Client},
    components::with_client::WithClient,
    format,
};
use leptos::prelude::*;

/// Today's check-ins, newest first, with who is still waiting for the server; overridden and
/// back-dated ones marked (voided ones are left out of the day's list: the member's timeline keeps
/// them, struck through).
#[component]
pub fn CheckInsPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <CheckInList client/> }/>
    }
}

#[component]
fn CheckInList(client: Client) -> impl IntoView {
    let state = client.state;
    let name_of = move |id: uuid::Uuid| {
        state
            .members
            .with(|all| all.iter().find(|m| m.id == id).map(|m| m.name.clone()))
            .unwrap_or_else(|| "Unknown member".into())
    };
    view! {
        <h1>"Today"</h1>
        <p class="count" data-testid="check-in-count">
            {move || match state.check_ins_today.with(Vec::len) {
                1 => "1 check-in today".to_owned(),
                n => format!("{n} check-ins today"),
            }}
        </p>
        <ol class="check-ins" data-testid="check-ins-today">
            <For each=move || state.check_ins_today.get() key=|c| (c.event_id, c.pending) let:c>
                {
                    let how = match c.how {
                        CheckInHow::CheckedIn => None,
                        CheckInHow::Backdated => Some(("backdated", "recorded afterwards")),
                        CheckInHow::Overridden => Some(("overridden", "let in by override")),
                    };
                    view! {
                        <li class:pending=c.pending data-how=how.map(|(code, _)| code)>
                            <time>{format::time_of(c.at_ms)}</time>
                            <a href=format!("/members/{}", c.member)>{move || name_of(c.member)}</a>
                            {how.map(|(code, label)| view! { <span class=format!("tag {code}")>{label}</span> })}
                            {c.pending.then(|| view! { <span class="tag pending">"pending"</span> })}
                        </li>
                    }
                }
            </For>
        </ol>
    }
}
