//! `/sw.js`: the worker from `public/sw.js`, stamped with an id of this build's files.
//!
//! The id changes whenever the shell's wasm, JS or CSS change, so a new deployment is a new worker
//! (browsers compare the script's bytes) with a new cache, and the old cache is dropped when it
//! takes over. The shell document and the wasm are always cached together.

use crate::state::AppState;
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
};
use leptos::prelude::LeptosOptions;
use std::{hash::Hasher, path::Path, sync::Arc};

const TOKEN: &str = "__FARADAY_BUILD__";

pub fn load(options: &LeptosOptions) -> Option<Arc<str>> {
    let root = Path::new(options.site_root.as_ref());
    let template = std::fs::read_to_string(root.join("sw.js")).ok()?;
    let pkg = root.join(options.site_pkg_dir.as_ref());
    let mut files: Vec<_> = std::fs::read_dir(&pkg).ok()?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    // FNV-1a: stable across Rust versions and runs, unlike the std hasher's.
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    hash.write(template.as_bytes());
    for f in files {
        hash.write(f.file_name().map(|n| n.as_encoded_bytes()).unwrap_or_default());
        hash.write(&std::fs::read(&f).ok()?);
    }
    let build = format!("{:016x}", hash.finish());
    tracing::info!(%build, "service worker ready");
    Some(template.replace(TOKEN, &build).into())
}

pub async fn service_worker(State(state): State<AppState>) -> Response {
    match state.service_worker {
        Some(script) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                // The browser must always see a new deployment's worker.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            script.to_string(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "the site is not built: run `cargo leptos build`").into_response(),
    }
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
