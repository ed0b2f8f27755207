use crate::{
    client::{Client, MemberRow},
    sentences,
};
use leptos::{prelude::*, task::spawn_local};
use shared::{member::MemberCommand, Command, StreamId};

/// Archiving, kept apart from the everyday buttons and asked about first: an archived member
/// disappears from search and cannot check in until someone restores them.
#[component]
pub fn Archive(client: Client, member: Memo<Option<MemberRow>>) -> impl IntoView {
    let asking = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let api = StoredValue::new_local(client.api());
    let name = move || member.with(|m| m.as_ref().map(|m| m.name.clone()).unwrap_or_default());
    let archive = move |_| {
        let Some(id) = member.with_untracked(|m| m.as_ref().map(|m| m.id)) else { return };
        let api = api.get_value();
        spawn_local(async move {
            match api.execute(StreamId::member(id), Command::Member(MemberCommand::ArchiveMember)).await {
                Ok(()) => asking.set(false),
                Err(e) => problem.set(Some(sentences::refusal(&e))),
            }
        });
    };
    view! {
        <section class="archive" data-testid="archive">
            <Show
                when=move || asking.get()
                fallback=move || view! {
                    <button type="button" class="danger" on:click=move |_| asking.set(true)>"Archive member…"</button>
                }
            >
                <div class="confirm" role="group" aria-label="Archive this member?">
                    <p>
                        {move || format!("Archive {}? They are hidden from search and cannot check in until restored.", name())}
                    </p>
                    <button type="button" class="danger" on:click=archive>"Yes, archive"</button>
                    <button type="button" on:click=move |_| { asking.set(false); problem.set(None); }>"Keep member"</button>
                </div>
            </Show>
            {move || problem.get().map(|text| view! { <p class="notice error" role="alert">{text}</p> })}
        </section>
    }
}
