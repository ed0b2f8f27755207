//! `/settings`: the club's settings (time zone, duplicate window, automatic check-out, payment
//! grace, plans), each change an event on the club's stream (`club-<id>`), merged setting by
//! setting with other desks'; below, the settings' timeline. Only roles with the settings
//! permission change them; others see the values and that they may not.

mod general;
mod plans;

use crate::{
    client::{Client, ClientApi},
    components::with_client::WithClient,
    format, sentences,
};
use leptos::{either::Either, prelude::*, task::spawn_local};
use shared::{
    access::ClubId,
    club::{ClubCommand, Setting},
    Command,
};
use std::rc::Rc;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <Settings client/> }/>
    }
}

/// The club's stream and this device's runtime, copyable into every handler.
#[derive(Clone, Copy)]
struct Change {
    api: StoredValue<Rc<dyn ClientApi>, LocalStorage>,
    club: ClubId,
}

impl Change {
    /// Decides and stores one setting; `done` hears the outcome (a refusal in the rule's words).
    fn run(self, setting: Setting, done: impl FnOnce(Result<(), String>) + 'static) {
        let api = self.api.get_value();
        let stream = shared::club::stream(self.club);
        spawn_local(async move {
            let outcome = api.execute(stream, Command::Club(ClubCommand::ChangeSetting(setting))).await;
            done(outcome.map_err(|e| sentences::refusal(&e)));
        });
    }

    /// A fresh id (UUIDv7) for a new plan.
    fn new_id(self) -> uuid::Uuid {
        self.api.with_value(|api| api.new_member_id())
    }
}

/// What a settings form says after saving: done, or why not.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Saved(String),
    Refused(String),
}

#[component]
fn OutcomeNote(outcome: RwSignal<Option<Outcome>>, #[prop(into)] testid: String) -> impl IntoView {
    move || {
        let testid = testid.clone();
        outcome.get().map(|o| match o {
            Outcome::Saved(text) => {
                Either::Left(view! { <p class="notice ok" role="status" data-testid=testid>{text}</p> })
            }
            Outcome::Refused(text) => {
                Either::Right(view! { <p class="notice error" role="alert" data-testid=testid>{text}</p> })
            }
        })
    }
}

#[component]
fn Settings(client: Client) -> impl IntoView {
    let state = client.state;
    let may = state.permits(Command::Club(ClubCommand::ChangeSetting(Setting::DuplicateWindowMinutes(10))));
    let Some(club) = state.club.get_untracked().map(|c| c.club) else {
        return view! {
            <h1>"Club settings"</h1>
            <p class="notice error" role="alert">"This device does not know its club yet: sign in online once."</p>
        }
        .into_any();
    };
    let change = Change { api: StoredValue::new_local(client.api()), club };
    let stream = shared::club::stream(club);
    let api = client.api();
    let revision = state.revision;
    let rows = LocalResource::new(move || {
        revision.track();
        let api = api.clone();
        async move { api.timeline(stream).await }
    });
    // Each part's type is erased: the page's would be too deep for the compiler otherwise.
    let general = view! { <general::General state change/> }.into_any();
    let plans = view! { <plans::Plans state change/> }.into_any();
    let timeline = view! { <super::member::timeline::Timeline rows client=client.clone()/> }.into_any();
    view! {
        <h1>"Club settings"</h1>
        {move || (!may.get()).then(|| view! {
            <p class="notice" role="status" data-testid="settings-forbidden">
                "Only a manager or the owner may change the club's settings: they are shown here as they are."
            </p>
        })}
        <fieldset class="settings" disabled=move || !may.get()>
            {general}
            {plans}
        </fieldset>
        {timeline}
    }
    .into_any()
}

/// A warning for every page while this browser does not know the club's time zone (times are then
/// shown in UTC, and "today" may be off by a day near midnight).
#[component]
pub fn ZoneNotice() -> impl IntoView {
    let client = crate::client::use_client();
    move || {
        let settings = client.as_ref()?.state.settings;
        let name = settings.with(|s| s.time_zone.clone());
        (!format::ClubZone::named(&name).known()).then(|| {
            view! {
                <div class="banner warning" role="alert" data-testid="zone-unknown">
                    {format!(
                        "This browser does not know the club's time zone {name:?}: times and \"today\" are shown in UTC. Choose the zone again in the club's settings, or update this browser."
                    )}
                </div>
            }
        })
    }
}
