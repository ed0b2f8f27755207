use crate::client::{use_client, Client, StoreState};
use leptos::{either::Either, prelude::*};
use leptos_router::components::Redirect;
use std::sync::Arc;

/// Renders `children` with the client once the local store is loaded and someone is signed in on
/// this device (their session not ended, by this device's clock); until then says why not, or
/// sends staff to the sign-in page. Every page of the club's data goes through here.
#[component]
pub fn WithClient<F, V>(children: F) -> impl IntoView
where
    F: Fn(Client) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let Some(client) = use_client() else {
        return Either::Left(
            view! { <p class="error" role="alert">"The app is still loading. If this stays, reload the page."</p> },
        );
    };
    let state = client.state;
    let children = Arc::new(children);
    Either::Right(view! {
        <Show when=move || state.active().is_some() fallback=|| view! { <Redirect path="/login"/> }>
            {
                let (children, client) = (children.clone(), client.clone());
                move || when_loaded(client.clone(), children.clone())
            }
        </Show>
    })
}

fn when_loaded<F, V>(client: Client, children: Arc<F>) -> impl IntoView
where
    F: Fn(Client) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let store = client.state.store;
    view! {
        <Show
            when=move || store.with(StoreState::loaded)
            fallback=move || {
                view! {
                    <p class="loading" role="status">
                        {move || match store.get() {
                            StoreState::Failed(e) => format!("The local store could not be opened: {e}"),
                            StoreState::Blocked => "Waiting for other Faraday tabs to close…".to_owned(),
                            StoreState::NewerVersion => "This page is older than the data on this device: reload it.".to_owned(),
                            _ => "Opening the local store…".to_owned(),
                        }}
                    </p>
                }
            }
        >
            {
                let children = children.clone();
                let client = client.clone();
                // Erasing the page's type here keeps the view types shallow (the wasm release build
                // otherwise overflows the compiler's query depth).
                move || children(client.clone()).into_any()
            }
        </Show>
    }
    .into_any()
}
