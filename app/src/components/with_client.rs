use crate::client::{use_client, Client, StoreState};
use leptos::{either::Either, prelude::*};

/// Renders `children` with the client once the local store is loaded; until then says why not.
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
    let store = client.state.store;
    let children = std::sync::Arc::new(children);
    Either::Right(view! {
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
    })
}
