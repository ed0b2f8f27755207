use crate::{
    client::{Client, MemberRow},
    components::field::{Field, FieldErrors, FormProblem},
    sentences,
};
use leptos::{prelude::*, task::spawn_local};
use shared::{
    member::{MemberCommand, MemberField},
    Command, StreamId,
};

/// The member's contact details: every change of one save goes in one decision, so they are saved
/// together or not at all, and every wrong value is shown at once, beside its own field.
#[component]
pub fn DetailsForm(client: Client, member: Memo<Option<MemberRow>>, waiting: Signal<usize>) -> impl IntoView {
    let stored = move |field: MemberField| {
        member.with_untracked(|m| m.as_ref().map(|m| value_of(m, field).to_owned()).unwrap_or_default())
    };
    // Per field: what the form started from (the stored value when it was last in step) and what
    // is typed. A save sends only the fields staff changed from where they started, so a change
    // another device made meanwhile to another field is never undone.
    let fields = MemberField::ALL.map(|field| (field, StoredValue::new(stored(field)), RwSignal::new(stored(field))));
    // A change from elsewhere shows in every field staff have not touched.
    Effect::new(move |_| {
        member.track();
        for (field, start, typed) in fields {
            let now = stored(field);
            if typed.get_untracked() == start.get_value() && now != start.get_value() {
                start.set_value(now.clone());
                typed.set(now);
            }
        }
    });
    let errors = FieldErrors::new();
    let problem = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    super::decided::clear_when_more(waiting, move || saved.set(false));
    let id = member.with_untracked(|m| m.as_ref().map(|m| m.id));
    let api = StoredValue::new_local(client.api());
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(id) = id else { return };
        // What staff changed, as typed: the decision normalises and checks every value.
        let changes: Vec<(MemberField, String)> = fields
            .iter()
            .map(|(field, start, typed)| (*field, start.get_value(), typed.get_untracked()))
            .filter(|(_, start, typed)| typed != start)
            .map(|(field, _, typed)| (field, typed))
            .collect();
        let api = api.get_value();
        saved.set(false);
        problem.set(None);
        spawn_local(async move {
            match api
                .execute(StreamId::member(id), Command::Member(MemberCommand::ChangeMemberDetails { changes }))
                .await
            {
                Ok(()) => {
                    errors.set(vec![]);
                    // Show what was stored (trimmed, normalised), not what was typed.
                    for (field, start, typed) in fields {
                        start.set_value(stored(field));
                        typed.set(stored(field));
                    }
                    saved.set(true);
                }
                Err(e) => match sentences::field_errors(&e) {
                    Some(fields) => errors.set(fields.to_vec()),
                    None => problem.set(Some(sentences::refusal(&e))),
                },
            }
        });
    };
    view! {
        <details class="card">
            <summary>"Edit details"</summary>
            <form novalidate on:submit=save data-testid="details-form">
                <FormProblem errors problem/>
                {fields.into_iter().map(|(field, _, value)| {
                    view! { <Field id=input_id(field) field value errors required=field == MemberField::Name/> }
                }).collect_view()}
                <button type="submit" class="primary">"Save details"</button>
                {move || saved.get().then(|| view! {
                    <p class="notice ok" role="status" data-testid="details-saved">"Details saved"</p>
                })}
            </form>
        </details>
    }
}

fn value_of(member: &MemberRow, field: MemberField) -> &str {
    match field {
        MemberField::Name => &member.name,
        MemberField::Email => &member.email,
        MemberField::Phone => &member.phone,
    }
}

fn input_id(field: MemberField) -> &'static str {
    match field {
        MemberField::Name => "edit-name",
        MemberField::Email => "edit-email",
        MemberField::Phone => "edit-phone",
    }
}
