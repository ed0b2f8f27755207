use crate::{
    client::{Client, ClientError},
    components::{
        field::{Field, FieldErrors, FormProblem},
        with_client::WithClient,
    },
    sentences,
};
use leptos::{prelude::*, task::spawn_local};
use leptos_router::hooks::use_navigate;
use shared::{
    access,
    member::{MemberCommand, MemberField},
    Command, StreamId,
};

#[component]
pub fn RegisterPage() -> impl IntoView {
    view! {
        <WithClient children=|client| {
            let role = client.state.role();
            // A role that may not register sees why instead of a form that can only say no.
            move || {
                let registering = Command::Member(blank_registration()).permission();
                match role.get().and_then(|role| access::check(role, registering).err()) {
                    Some(forbidden) => view! {
                        <h1>"Register a member"</h1>
                        <p class="notice error" role="alert" data-testid="register-forbidden">
                            {sentences::refusal(&ClientError::Forbidden(forbidden))}
                        </p>
                    }
                    .into_any(),
                    None => view! { <RegisterForm client=client.clone()/> }.into_any(),
                }
            }
        }/>
    }
}

/// A registration with nothing filled in: what asking whether a role may register needs.
pub(crate) fn blank_registration() -> MemberCommand {
    MemberCommand::RegisterMember { name: String::new(), email: String::new(), phone: String::new() }
}

#[component]
fn RegisterForm(client: Client) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    // What is wrong with the form as a whole (a failed save), as opposed to one of its values.
    let problem = RwSignal::new(None::<String>);
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
        // As typed: the decision normalises the text and checks every value at once.
        let command = MemberCommand::RegisterMember {
            name: name.get_untracked(),
            email: email.get_untracked(),
            phone: phone.get_untracked(),
        };
        spawn_local(async move {
            match api.execute(StreamId::member(id), Command::Member(command)).await {
                Ok(()) => navigate(&format!("/members/{id}"), Default::default()),
                Err(e) => {
                    match sentences::field_errors(&e) {
                        Some(fields) => {
                            errors.set(fields.to_vec());
                            problem.set(None);
                        }
                        None => problem.set(Some(sentences::refusal(&e))),
                    }
                    busy.set(false);
                }
            }
        });
    };
    view! {
        <h1>"Register a member"</h1>
        <form class="card" novalidate on:submit=submit>
            <FormProblem errors problem/>
            <Field id="name" field=MemberField::Name value=name errors required=true/>
            <Field id="email" field=MemberField::Email value=email errors/>
            <Field id="phone" field=MemberField::Phone value=phone errors/>
            <button type="submit" class="primary" disabled=busy>"Register member"</button>
        </form>
    }
}
