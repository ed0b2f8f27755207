use crate::{client::Client, components::with_client::WithClient};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use shared::member::MemberCommand;

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <WithClient children=|client| view! { <RegisterForm client/> }/>
    }
}

#[component]
fn RegisterForm(client: Client) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let api = client.api();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        let (api, navigate) = (api.clone(), navigate.clone());
        let id = api.new_member_id();
        let command = MemberCommand::RegisterMember {
            name: name.get_untracked().trim().to_owned(),
            email: email.get_untracked().trim().to_owned(),
            phone: phone.get_untracked().trim().to_owned(),
        };
        spawn_local(async move {
            match api.execute(id, command).await {
                Ok(()) => navigate(&format!("/members/{id}"), Default::default()),
                Err(e) => {
                    error.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <h1>"Register a member"</h1>
        <form class="card" on:submit=submit>
            <label for="name">"Name"</label>
            <input id="name" name="name" required autocomplete="off" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/>
            <label for="email">"Email"</label>
            <input id="email" name="email" type="email" autocomplete="off" prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/>
            <label for="phone">"Phone"</label>
            <input id="phone" name="phone" type="tel" autocomplete="off" prop:value=phone on:input=move |ev| phone.set(event_target_value(&ev))/>
            {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
            <button type="submit" class="primary" disabled=busy>"Register member"</button>
        </form>
    }
}
