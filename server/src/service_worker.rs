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

const BUILD_TOKEN: &str = "__FARADAY_BUILD__";
const PKG_TOKEN: &str = "/*__FARADAY_PKG__*/";

pub fn load(options: &LeptosOptions) -> Option<Arc<str>> {
    let root = Path::new(options.site_root.as_ref());
    let template = std::fs::read_to_string(root.join("sw.js")).ok()?;
    let pkg = root.join(options.site_pkg_dir.as_ref());
    // What the shell loads: the JS, the wasm and the CSS (not the TypeScript declarations).
    let mut files: Vec<_> = std::fs::read_dir(&pkg)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "js" || x == "wasm" || x == "css"))
        .collect();
    files.sort();
    // FNV-1a: stable across Rust versions and runs, unlike the std hasher's.
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    hash.write(template.as_bytes());
    let mut urls = Vec::with_capacity(files.len());
    for f in &files {
        let name = f.file_name()?.to_str()?;
        hash.write(name.as_bytes());
        hash.write(&std::fs::read(f).ok()?);
        urls.push(format!("\"/{}/{name}\",", options.site_pkg_dir));
    }
    let build = format!("{:016x}", hash.finish());
    tracing::info!(%build, files = files.len(), "service worker ready");
    Some(template.replace(BUILD_TOKEN, &build).replace(PKG_TOKEN, &urls.join(" ")).into())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_precaches_this_builds_files_and_changes_with_them() {
        let site = tempfile::tempdir().unwrap();
        std::fs::write(
            site.path().join("sw.js"),
            "const B = \"__FARADAY_BUILD__\"; const P = [\"/\", /*__FARADAY_PKG__*/];",
        )
        .unwrap();
        std::fs::create_dir(site.path().join("pkg")).unwrap();
        for (name, body) in
            [("faraday.js", "js"), ("faraday.wasm", "wasm"), ("faraday.css", "css"), ("faraday.d.ts", "ts")]
        {
            std::fs::write(site.path().join("pkg").join(name), body).unwrap();
        }
        let options = LeptosOptions::builder().output_name("faraday").site_root(site.path().to_str().unwrap()).build();
        let first = load(&options).unwrap();
        assert!(!first.contains("__FARADAY"), "{first}");
        assert!(first.contains(r#"["/", "/pkg/faraday.css", "/pkg/faraday.js", "/pkg/faraday.wasm",]"#), "{first}");
        std::fs::write(site.path().join("pkg/faraday.wasm"), "new wasm").unwrap();
        let second = load(&options).unwrap();
        assert_ne!(first, second, "a new build is a new worker");
    }
}
