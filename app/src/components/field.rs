use crate::sentences;
use leptos::prelude::*;
use shared::member::{DetailsError, MemberField};

/// The errors of a form's fields, all of them at once, each shown beside its own input.
#[derive(Clone, Copy)]
pub struct FieldErrors(RwSignal<Vec<DetailsError>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self(RwSignal::new(vec![]))
    }

    pub fn set(&self, errors: Vec<DetailsError>) {
        self.0.set(errors);
    }

    pub fn count(&self) -> usize {
        self.0.with(Vec::len)
    }

    /// The sentence to show beside `field`, if its value is wrong.
    pub fn of(&self, field: MemberField) -> Option<String> {
        self.0.with(|errors| errors.iter().filter(|e| e.field() == field).map(sentences::details).next())
    }

    /// Staff are fixing `field`: its old error no longer describes what is typed.
    fn forget(&self, field: MemberField) {
        if self.0.with_untracked(|errors| errors.iter().any(|e| e.field() == field)) {
            self.0.update(|errors| errors.retain(|e| e.field() != field));
        }
    }
}

impl Default for FieldErrors {
    fn default() -> Self {
        Self::new()
    }
}

/// A labelled input for one member detail, with its error (if any) right beside it.
#[component]
pub fn Field(
    /// The input's id; its error's id (and test id) is `{id}-error`.
    id: &'static str,
    field: MemberField,
    value: RwSignal<String>,
    errors: FieldErrors,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let kind = match field {
        MemberField::Name => "text",
        MemberField::Email => "email",
        MemberField::Phone => "tel",
    };
    let error_id = format!("{id}-error");
    let error = move || errors.of(field);
    view! {
        <div class="field" class:invalid=move || error().is_some()>
            <label for=id>{sentences::field_label(field)}</label>
            <input
                id=id
                name=id
                type=kind
                autocomplete="off"
                required=required
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=error_id.clone()
                prop:value=value
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    errors.forget(field);
                }
            />
            <p class="field-error" id=error_id.clone() data-testid=error_id.clone() hidden=move || error().is_none()>
                {error}
            </p>
        </div>
    }
}

/// The form-level message: how many values need fixing (each is described beside its field), or
/// why saving failed. Either way, nothing was saved.
#[component]
pub fn FormProblem(errors: FieldErrors, problem: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        let text = match (errors.count(), problem.get()) {
            (_, Some(problem)) => problem,
            (0, None) => return None,
            (1, None) => "Nothing was saved: fix the value marked below.".to_owned(),
            (n, None) => format!("Nothing was saved: fix the {n} values marked below."),
        };
        Some(view! { <p class="notice error" role="alert" data-testid="form-problem">{text}</p> })
    }
}
