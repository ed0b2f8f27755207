use crate::client::{use_client, Client};
use leptos::{either::Either, prelude::*};

/// Renders `children` with the client once the local store is open; until then says why not.
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
    let children = std::sync::Arc::new(children);
    Either::Right(view! {
        <Show
            when=move || state.ready.get()
            fallback=move || {
                view! {
                    <p class="loading" role="status">
                        {move || match state.fatal.get() {
                            Some(e) => format!("The local store could not be opened: {e}"),
                            None => "Opening the local store…".to_owned(),
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
