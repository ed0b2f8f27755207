//! Faraday's server: the sync API over the event store, the live stream, and the Leptos app.
#![recursion_limit = "256"]

pub mod auth;
pub mod cli;
pub mod demo;
pub mod error;
pub mod guard;
pub mod limits;
pub mod live;
mod precompressed;
pub mod serve;
mod service_worker;
pub mod state;
pub mod store;
mod sync;
pub mod transfer;
pub mod writer;

pub use state::AppState;

use axum::{response::Response, routing::get, Router};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{catch_panic::CatchPanicLayer, compression::CompressionLayer, trace::TraceLayer};

/// The whole HTTP application. Sync routes come before the Leptos routes; `/api/*` never falls
/// through to a page.
pub fn app(state: AppState) -> Router {
    let routes = generate_route_list(app::route_table);
    let options = state.leptos_options.clone();
    let precompressed = precompressed::Precompressed::spawn(&options.site_root, &options.site_pkg_dir);
    let body_timeout = tower_http::timeout::RequestBodyTimeoutLayer::new(state.limits.body_read_timeout);
    Router::new()
        .merge(sync::routes(&state).layer(body_timeout))
        .route("/sw.js", get(service_worker::service_worker))
        .leptos_routes(&state, routes, move || app::shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(app::shell))
        // Inside compression: the page's inline scripts are hashed as written.
        .layer(axum::middleware::from_fn(guard::page_csp))
        // Compression skips text/event-stream by default, so the live stream is not buffered, and
        // responses that are already encoded (the pre-compressed wasm below).
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(precompressed, precompressed::serve))
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::guard))
        .layer(CatchPanicLayer::custom(answer_panic))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A handler that panicked answers like any failure: 500 in the API's error shape, the panic's
/// message in the log only.
fn answer_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".to_owned(),
    };
    axum::response::IntoResponse::into_response(error::ApiError::Internal(format!("a handler panicked: {what}")))
}
