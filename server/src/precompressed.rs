//! The shell's files (`/pkg/*`: wasm, JS, CSS) compressed once, with brotli at its best quality.
//!
//! On-the-fly compression has to be fast and uses a weak level (the wasm comes out ~25 % larger); these
//! files never change while the server runs, so they are compressed in the background at start-up
//! and served as is to browsers that accept brotli. Until that is done, or for other clients, the
//! request falls through to the normal file handler.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue},
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::{
    collections::HashMap,
    io::Write,
    path::Path,
    sync::{Arc, RwLock},
};

#[derive(Default)]
pub struct Precompressed {
    files: RwLock<HashMap<String, (axum::body::Bytes, &'static str)>>,
}

impl Precompressed {
    /// Starts compressing every file of `site_root/pkg_dir` in the background.
    pub fn spawn(site_root: &str, pkg_dir: &str) -> Arc<Self> {
        let this = Arc::new(Self::default());
        let (dir, prefix) = (Path::new(site_root).join(pkg_dir), format!("/{pkg_dir}/"));
        let target = this.clone();
        tokio::task::spawn_blocking(move || {
            let Ok(entries) = std::fs::read_dir(&dir) else { return };
            for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
                let content_type = match path.extension().and_then(|x| x.to_str()) {
                    Some("wasm") => "application/wasm",
                    Some("js") => "text/javascript; charset=utf-8",
                    Some("css") => "text/css; charset=utf-8",
                    _ => continue,
                };
                let (Some(name), Ok(raw)) = (path.file_name().and_then(|n| n.to_str()), std::fs::read(&path)) else {
                    continue;
                };
                let mut out = brotli::CompressorWriter::new(Vec::with_capacity(raw.len() / 3), 64 * 1024, 11, 22);
                if out.write_all(&raw).is_err() {
                    continue;
                }
                let compressed = out.into_inner();
                tracing::info!(file = name, raw = raw.len(), brotli = compressed.len(), "pre-compressed");
                target
                    .files
                    .write()
                    .expect("not poisoned")
                    .insert(format!("{prefix}{name}"), (compressed.into(), content_type));
            }
        });
        this
    }

    fn get(&self, path: &str) -> Option<(axum::body::Bytes, &'static str)> {
        self.files.read().expect("not poisoned").get(path).cloned()
    }
}

/// Middleware: answers `/pkg/*` from the pre-compressed copies when the browser accepts brotli.
pub async fn serve(State(files): State<Arc<Precompressed>>, request: Request, next: Next) -> Response {
    let accepts_br = request
        .headers()
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.split(';').next().is_some_and(|name| name.trim() == "br")));
    match accepts_br.then(|| files.get(request.uri().path())).flatten() {
        Some((body, content_type)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CONTENT_ENCODING, HeaderValue::from_static("br")),
                (header::VARY, HeaderValue::from_static("accept-encoding")),
            ],
            Body::from(body),
        )
            .into_response(),
        None => next.run(request).await,
    }
}
