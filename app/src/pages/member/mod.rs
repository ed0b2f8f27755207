//! One member: the entry decision and the big check-in button, their memberships, check-ins,
//! details and everything that happened to them.

pub(crate) mod act;
mod archive;
mod block;
mod cancel;
mod classes;
pub(crate) mod day;
pub(crate) mod decided;
mod details_form;
mod entry;
pub(crate) mod fields;
mod freeze;
pub(crate) mod memberships;
mod pay;
mod renew;
mod sell;
pub(crate) mod timeline;
pub(crate) mod visits;

use crate::{
    client::{Client, EventState, MemberRow},
    components::with_client::WithClient,
    format, sentences,
};
use act::Act;
use archive::Archive;
use block::Block;
use details_form::DetailsForm;
use entry::EntryDecision;
use leptos::{either::Either, prelude::*, task::spawn_local};
use leptos_router::hooks::use_params_map;
use memberships::Memberships;
use shared::{member::MemberCommand, Command, StreamId};
use timeline::Timeline;
use uuid::Uuid;
use visits::Visits;

#[component]
pub fn MemberPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<Uuid>().ok()));
    view! {
        <WithClient children=move |client| {
            move || match id() {
                // Erased: the member view's type is too deep for the compiler otherwise.
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
    // The forms below keep what staff type while this member's row changes (a check-in, a live
    // update): they are made again only for another member or when archiving changes what they offer.
    let archived = Memo::new(move |_| member.with(|m| m.as_ref().map(|m| m.archived)));
    let (action_client, form_client, archive_client) = (client.clone(), client.clone(), client.clone());
    let rows = timeline::rows(&client, id);
    let decided = decided::entries(&client, id);
    // How many server decisions about this member wait for staff: when one arrives, a "Checked
    // in" or "Details saved" shown earlier may no longer be true, so it gives way to the notice.
    // While the entries are read again (after every local change) the last count stands, so a
    // reload is never taken for a new decision.
    let waiting = Memo::new(move |before: Option<&usize>| {
        decided.with(|d| d.as_ref().and_then(|d| d.as_ref().ok()).map(Vec::len)).or(before.copied()).unwrap_or(0)
    });
    let waiting = Signal::from(waiting);
    // What the role of the staff member at the desk allows (followed as staff switch).
    let may_edit = state.permits(Command::Member(MemberCommand::ChangeMemberDetails { changes: vec![] }));
    let may_archive = state.permits(Command::Member(MemberCommand::ArchiveMember));
    let act = Act::new(&client, id);
    // The parts of the page for a member who is here and not archived.
    let present = move || archived.get() == Some(false);
    view! {
        {move || match member.get() {
            None => Either::Left(view! { <Absent rows/> }),
            Some(m) => Either::Right(view! { <MemberHead member=m/> }),
        }}
        <decided::Decided entries=decided/>
        {move || match archived.get() {
            Some(true) => Some(view! { <Restore client=action_client.clone() id waiting/> }.into_any()),
            Some(false) => Some(view! { <EntryDecision state act member waiting/> }.into_any()),
            None => None,
        }}
        {move || present().then(|| view! { <Memberships state act member/> }.into_any())}
        {move || present().then(|| view! { <Visits state act member/> }.into_any())}
        {move || present().then(|| view! { <classes::MemberClasses state id/> }.into_any())}
        {move || present().then(|| view! { <Block state act member/> }.into_any())}
        {move || (present() && may_edit.get()).then(|| view! { <DetailsForm client=form_client.clone() member waiting/> }.into_any())}
        <Timeline rows client=client.clone()/>
        {move || (present() && may_archive.get()).then(|| view! { <Archive client=archive_client.clone() member/> }.into_any())}
    }
}

/// A member this device does not show: not received yet, or registered here and refused by the
/// server (then they never will be, and staff must hear so, with the reason).
#[component]
fn Absent(rows: timeline::Rows) -> impl IntoView {
    let refused = move || {
        rows.with(|rows| {
            rows.as_ref()?.as_ref().ok()?.iter().find_map(|r| match &r.state {
                EventState::Rejected(why) if r.event_type == "MemberRegistered" => Some(why.clone()),
                _ => None,
            })
        })
    };
    move || match refused() {
        Some(why) => Either::Left(view! {
            <p class="notice error" role="alert" data-testid="registration-refused">
                {format!("This member was not saved: the server refused the registration ({why}). ")}
                <a href="/members/new">"Register them again"</a>
            </p>
        }),
        None => Either::Right(view! {
            <p class="notice" role="status">"This member is not on this device (yet). It appears as soon as it syncs."</p>
        }),
    }
}

#[component]
fn MemberHead(member: MemberRow) -> impl IntoView {
    let m = member;
    view! {
        <section class="member-head">
            <h1 data-testid="member-name">{m.name.clone()}</h1>
            {m.archived.then(|| view! { <span class="tag">"archived"</span> })}
            {m.member.blocked.clone().map(|why| view! {
                <p class="notice error blocked" role="alert" data-testid="blocked">{format!("Blocked by staff: {why}")}</p>
            })}
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
    }
}

/// Restoring an archived member (who cannot check in until then), and the outcome.
#[component]
fn Restore(client: Client, id: Uuid, waiting: Signal<usize>) -> impl IntoView {
    let message = RwSignal::new(None::<(bool, String)>);
    decided::clear_when_more(waiting, move || message.set(None));
    // The api is not `Send`; a local stored value is, so the button's handler can hold it.
    let api = StoredValue::new_local(client.api());
    let restore = move |_| {
        let api = api.get_value();
        spawn_local(async move {
            match api.execute(StreamId::member(id), Command::Member(MemberCommand::RestoreMember)).await {
                Ok(()) => message.set(Some((true, "Restored".to_owned()))),
                Err(e) => message.set(Some((false, sentences::refusal(&e)))),
            }
        });
    };
    // Offered only to a role that may give it (followed as staff switch).
    let may = client.state.permits(Command::Member(MemberCommand::RestoreMember));
    view! {
        {move || may.get().then(|| view! { <button class="big" on:click=restore>"Restore member"</button> })}
        {move || message.get().map(|(ok, text)| view! {
            <p class={if ok { "notice ok" } else { "notice error" }} role="status" data-testid="member-message">{text}</p>
        })}
    }
}
