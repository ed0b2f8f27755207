//! The browser entry point: hydrates the server-rendered shell with a client runtime in context.
#![recursion_limit = "256"]

mod account;
mod browser;
mod clock;
mod club;
#[cfg(test)]
mod normalise_tests;
mod runtime;
mod store;
mod sync;
mod tabs;
mod today;
mod views;
#[cfg(all(test, target_arch = "wasm32"))]
mod zone_tests;

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
