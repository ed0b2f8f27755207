//! The browser entry point: hydrates the server-rendered shell with a client runtime in context.

mod account;
mod browser;
mod clock;
#[cfg(test)]
mod normalise_tests;
mod runtime;
mod store;
mod sync;
mod tabs;
mod views;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    _ = console_log::init_with_level(log::Level::Info);
    leptos::mount::hydrate_body(|| {
        let client = runtime::start();
        provide_context(client);
        view! { <app::App/> }
    });
}
