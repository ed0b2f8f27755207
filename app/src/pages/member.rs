use crate::{
    client::{Client, EventState, MemberRow},
    components::with_client::WithClient,
    format,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_params_map;
use shared::member::{MemberCommand, MemberField};
use uuid::Uuid;

/// One member: the big check-in button, their details and everything that happened to them.
#[component]
pub fn MemberPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok()));
    view! {
        <WithClient children=move |client| {
            move || match id() {
                Some(id) => view! { <MemberView client=client.clone() id/> }.into_any(),
                None => view! { <p class="notice error" role="alert">"That is not a member link."</p> }.into_any(),
            }
        }/>
    }
}

#[component]
fn MemberView(client: Client, id: Uuid) -> impl IntoView {
    let state = client.state;
    let member = Memo::new(move |_| state.members.with(|all| all.iter().find(|m| m.id == id).cloned()));
    let message = RwSignal::new(None::<(bool, String)>);
    let api = client.api();
    let run = StoredValue::new_local(move |command: MemberCommand, done: &'static str| {
        let api = api.clone();
        spawn_local(async move {
            message.set(Some(match api.execute(id, command).await {
                Ok(()) => (true, done.to_owned()),
                Err(e) => (false, e),
            }));
        });
    });
    let execute = move |command: MemberCommand, done: &'static str| run.with_value(|f| f(command, done));
    view! {
        {move || match member.get() {
            None => view! {
                <p class="notice" role="status">"This member is not on this device (yet). It appears as soon as it syncs."</p>
            }.into_any(),
            Some(m) => view! {
                <section class="member-head">
                    <h1 data-testid="member-name">{m.name.clone()}</h1>
                    {m.archived.then(|| view! { <span class="tag">"archived"</span> })}
                    {(m.pending > 0).then(|| view! { <span class="tag pending">{format!("{} pending", m.pending)}</span> })}
                    <p class="contact">
                        {if m.email.is_empty() { "no e-mail".to_owned() } else { m.email.clone() }}
                        " · "
                        {if m.phone.is_empty() { "no phone".to_owned() } else { m.phone.clone() }}
                    </p>
                    <p class="last">
                        {match m.last_check_in_ms {
                            Some(t) => format!("Last check-in {} · {} in total", format::ago(t), m.check_ins),
                            None => "Never checked in".to_owned(),
                        }}
                    </p>
                </section>
                {if m.archived {
                    view! {
                        <button class="big" on:click=move |_| execute(MemberCommand::RestoreMember, "Restored")>"Restore member"</button>
                    }.into_any()
                } else {
                    view! {
                        <button class="big check-in" data-testid="check-in" on:click=move |_| execute(MemberCommand::CheckIn, "Checked in")>
                            "Check in"
                        </button>
                    }.into_any()
                }}
            }.into_any(),
        }}
        {move || message.get().map(|(ok, text)| view! {
            <p class={if ok { "notice ok" } else { "notice error" }} role="status" data-testid="member-message">{text}</p>
        })}
        {move || member.get().filter(|m| !m.archived).map(|m| view! { <EditDetails member=m execute/> })}
        <Timeline client id/>
    }
}

#[component]
fn EditDetails(
    member: MemberRow,
    execute: impl Fn(MemberCommand, &'static str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let values = MemberField::ALL.map(|f| {
        let current = match f {
            MemberField::Name => member.name.clone(),
            MemberField::Email => member.email.clone(),
            MemberField::Phone => member.phone.clone(),
        };
        (f, current.clone(), RwSignal::new(current))
    });
    let fields = values.clone();
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // One command per changed field: concurrent edits of different fields never collide.
        for (field, before, value) in &fields {
            let after = value.get_untracked().trim().to_owned();
            if &after != before {
                execute(MemberCommand::ChangeMemberDetails { changes: vec![(*field, after)] }, "Details saved");
            }
        }
    };
    view! {
        <details class="card">
            <summary>"Edit details"</summary>
            <form on:submit=save>
                {values.into_iter().map(|(field, _, value)| {
                    let id = format!("edit-{}", field.label());
                    view! {
                        <label for=id.clone()>{capitalise(field.label())}</label>
                        <input id=id prop:value=value on:input=move |ev| value.set(event_target_value(&ev))/>
                    }
                }).collect_view()}
                <button type="submit">"Save details"</button>
                <button type="button" class="danger" on:click=move |_| execute(MemberCommand::ArchiveMember, "Archived")>"Archive member"</button>
            </form>
        </details>
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

#[component]
fn Timeline(client: Client, id: Uuid) -> impl IntoView {
    let revision = client.state.revision;
    let api = client.api();
    let rows = LocalResource::new(move || {
        revision.track();
        let api = api.clone();
        async move { api.timeline(id).await }
    });
    view! {
        <h2>"Timeline"</h2>
        {move || match rows.get() {
            None => view! { <p class="loading">"Loading…"</p> }.into_any(),
            Some(Err(e)) => view! { <p class="notice error" role="alert">{e}</p> }.into_any(),
            Some(Ok(rows)) => view! {
                <ol class="timeline" data-testid="timeline">
                    {rows.into_iter().map(|r| {
                        let (class, label) = match &r.state {
                            EventState::Pending => ("pending", "pending".to_owned()),
                            EventState::Confirmed => ("confirmed", "synced".to_owned()),
                            EventState::Rejected(why) => ("rejected", format!("not accepted: {why}")),
                        };
                        view! {
                            <li class=class data-type=r.event_type.clone()>
                                <span class="what">{r.summary}</span>
                                <time>{format::time_of(r.at_ms)}</time>
                                <span class="who">{format!("on {}", short_device(&r.device))}</span>
                                <span class=format!("tag {class}")>{label}</span>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }.into_any(),
        }}
    }
}

fn short_device(device: &str) -> String {
    device.chars().take(8).collect()
}
