use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>"No such page"</h1>
        <p><a href="/">"Back to the members"</a></p>
    }
}
