//! Signing in: the first staff member of a device (online only: the server checks the password),
//! another one on a shared desk, or someone already signed in here taking the desk back (offline
//! too). No password is ever kept on the device.

use crate::{
    account::LocalSession,
    client::{use_client, Client},
    format, sentences,
};
use leptos::{either::Either, prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;

#[component]
pub fn LoginPage() -> impl IntoView {
    match use_client() {
        Some(client) => Either::Left(view! { <SignIn client/> }),
        None => Either::Right(
            view! { <p class="error" role="alert">"The app is still loading. If this stays, reload the page."</p> },
        ),
    }
}

#[component]
fn SignIn(client: Client) -> impl IntoView {
    let state = client.state;
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let api = StoredValue::new_local(client.api());
    let navigate = use_navigate();
    let home = StoredValue::new_local(move || navigate("/", Default::default()));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let api = api.get_value();
        let (typed_email, typed_password) = (email.get_untracked(), password.get_untracked());
        spawn_local(async move {
            let outcome = api.sign_in(typed_email, typed_password).await;
            // The password is not kept a moment longer than the request needs it.
            password.set(String::new());
            busy.set(false);
            match outcome {
                Ok(()) => home.with_value(|go| go()),
                Err(e) => error.set(Some(sentences::sign_in_failed(&e))),
            }
        });
    };
    let signed_in = move || {
        let now = format::now_ms();
        state.sessions.with(|s| s.staff.iter().filter(|o| o.valid_at(now)).cloned().collect::<Vec<_>>())
    };
    let continue_as = move |session: &LocalSession| {
        api.with_value(|api| api.switch_staff(session.staff()));
        home.with_value(|go| go());
    };
    view! {
        <h1>{move || if signed_in().is_empty() { "Sign in" } else { "Sign in another staff member" }}</h1>
        {move || {
            let others = signed_in();
            (!others.is_empty()).then(|| view! {
                <section class="card signed-in-here">
                    <h2>"Signed in on this device"</h2>
                    <ul class="staff-list">
                        {others.into_iter().map(|o| {
                            let label = format!("Continue as {} ({})", o.info.name, o.info.role.label());
                            let staff = o.staff().to_string();
                            view! {
                                <li>
                                    <button type="button" data-testid="continue-as" data-staff=staff
                                        on:click=move |_| continue_as(&o)>{label}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </section>
            })
        }}
        <ForgetDevice client=client.clone()/>
        <form class="card" on:submit=submit data-testid="sign-in-form">
            {move || error.get().map(|text| view! { <p class="notice error" role="alert" data-testid="sign-in-error">{text}</p> })}
            <label for="sign-in-email">"Email"</label>
            <input id="sign-in-email" name="email" type="email" autocomplete="username" required prop:value=email
                on:input=move |ev| email.set(event_target_value(&ev))/>
            <label for="sign-in-password">"Password"</label>
            <input id="sign-in-password" name="password" type="password" autocomplete="current-password" required
                prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
            <button type="submit" class="primary" disabled=busy>"Sign in"</button>
        </form>
    }
}

/// When nobody is signed in and the device still holds a club's data: only that club's staff can
/// sign in here, and anyone else needs the data gone first (with what it would cost said).
#[component]
fn ForgetDevice(client: Client) -> impl IntoView {
    let state = client.state;
    let asking = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let api = StoredValue::new_local(client.api());
    let forget = move |_| {
        let api = api.get_value();
        spawn_local(async move {
            if let Err(e) = api.forget_device().await {
                problem.set(Some(sentences::store_failed(&e)));
            }
        });
    };
    move || {
        let club = state.club.get()?;
        let now = format::now_ms();
        if state.sessions.with(|s| s.staff.iter().any(|o| o.valid_at(now))) {
            return None;
        }
        let unsent = state.sync.with(|s| s.counts.pending + s.counts.rejected);
        let cost = match unsent {
            0 => "Everything it holds is on the server.".to_owned(),
            n => format!("{} not yet on the server would be lost.", format::changes(n.into())),
        };
        Some(view! {
            <section class="card device-club" data-testid="device-club">
                <p>{format!("This device holds the data of {}: only its staff can sign in here.", club.name)}</p>
                {move || if asking.get() {
                    Either::Left(view! {
                        <p class="notice warn">{format!("Delete this device's data? {cost}")}</p>
                        <button type="button" class="danger" data-testid="forget-device-confirm" on:click=forget>
                            "Delete this device's data"
                        </button>
                        <button type="button" on:click=move |_| asking.set(false)>"Keep it"</button>
                    })
                } else {
                    Either::Right(view! {
                        <button type="button" class="danger" data-testid="forget-device" on:click=move |_| asking.set(true)>
                            "Use this device for another club…"
                        </button>
                    })
                }}
                {move || problem.get().map(|text| view! { <p class="notice error" role="alert">{text}</p> })}
            </section>
        })
    }
}
