//! What every answer is guarded by, pages and API alike: the `Host` must be this server's (no DNS
//! rebinding), a state-changing API request must come from this server's own pages (no CSRF), and
//! every answer carries the security headers (CSP, no framing, no sniffing, no referrer leaks).

use crate::{error::ApiError, state::AppState};
use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, Method, Request},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

/// The `Host` values this server answers to.
#[derive(Clone, Debug, Default)]
pub struct Hosts {
    /// `host[:port]`, lower-case. Empty: loopback names only (`localhost`, `127.0.0.1`, `[::1]`,
    /// any port), the safe default for a server no public origin was configured for.
    pub allowed: Vec<String>,
    /// The configured public origin (`https://club.example.com`), if any.
    pub origin: Option<String>,
}

impl Hosts {
    /// From `--public-origin` (`scheme://host[:port]`).
    pub fn for_origin(origin: &str) -> Result<Self, String> {
        let origin = origin.trim_end_matches('/').to_lowercase();
        let host = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .filter(|h| !h.is_empty() && !h.contains('/'))
            .ok_or_else(|| format!("the public origin must look like https://club.example.com, not {origin:?}"))?;
        let mut allowed = vec![host.to_owned()];
        // Browsers leave the default port out of `Host`; a client may put it in.
        if !host.contains(':') {
            let port = if origin.starts_with("https://") { 443 } else { 80 };
            allowed.push(format!("{host}:{port}"));
        }
        Ok(Self { allowed, origin: Some(origin) })
    }

    pub fn secure(&self) -> bool {
        self.origin.as_deref().is_some_and(|o| o.starts_with("https://"))
    }

    fn admits(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if self.allowed.is_empty() {
            let name = match host.rsplit_once(':') {
                Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
                _ => host.as_str(),
            };
            return matches!(name, "localhost" | "127.0.0.1" | "[::1]");
        }
        self.allowed.contains(&host)
    }

    /// Whether an `Origin` header names this server.
    fn same_origin(&self, origin: &str, host: &str) -> bool {
        match &self.origin {
            Some(mine) => origin.eq_ignore_ascii_case(mine),
            None => ["http://", "https://"].iter().any(|scheme| {
                origin.len() == scheme.len() + host.len() && origin.eq_ignore_ascii_case(&format!("{scheme}{host}"))
            }),
        }
    }
}

/// Refuses requests for another host (421 `wrong_host`) and cross-site state changes of the API
/// (403 `cross_origin`), then adds the security headers to whatever is answered.
pub async fn guard(State(state): State<AppState>, request: Request<Body>, next: Next) -> Response {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let (first, second) = (hosts.next(), hosts.next());
    let host = first
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| request.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    // Two `Host`s, or a request line naming another authority than `Host`: whichever a proxy
    // looked at, it may not be the one checked here.
    let other_authority = request.uri().authority().is_some_and(|a| !a.as_str().eq_ignore_ascii_case(&host));
    if second.is_some() || other_authority || !state.hosts.admits(&host) {
        let expected = state.hosts.origin.clone().unwrap_or_else(|| "localhost".to_owned());
        return with_headers(ApiError::WrongHost { expected, got: host.chars().take(100).collect() }.into_response());
    }
    if let Err(refused) = same_site(&state, &request, &host) {
        return with_headers(refused.into_response());
    }
    with_headers(next.run(request).await)
}

/// Gives an HTML page a CSP that allows its own inline scripts by hash (see [`with_csp`]).
pub async fn page_csp(request: Request<Body>, next: Next) -> Response {
    with_csp(next.run(request).await).await
}

/// A state-changing API request must come from this server's own pages. The cookie is
/// SameSite=Strict already; this is the second lock (older browsers, same-site subdomains).
fn same_site(state: &AppState, request: &Request<Body>, host: &str) -> Result<(), ApiError> {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || !request.uri().path().starts_with("/api/") {
        return Ok(());
    }
    let headers = request.headers();
    let cross =
        |why: &str| ApiError::Forbidden { code: "cross_origin", message: why.to_owned(), stream: None, event: None };
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return Err(cross("requests from other sites are refused"));
        }
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        Some(origin) if !state.hosts.same_origin(origin, host) => Err(cross("requests from other origins are refused")),
        _ => Ok(()),
    }
}

fn with_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(BASE_CSP));
    }
    response
}

/// The policy: this origin's own files only; wasm may be compiled; no plugins, no framing, no
/// `<base>` tricks, forms post here only. Inline scripts are allowed by hash (see `with_csp`).
const BASE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; \
base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// An HTML page's inline scripts (Leptos's hydration bootstrap) are allowed by their SHA-256,
/// computed from the page itself: nothing inline runs unless the server wrote it.
async fn with_csp(response: Response) -> Response {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if !html {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The shell is a few kB; a page larger than this is not ours to hash.
    let Ok(bytes) = axum::body::to_bytes(body, 2 * 1024 * 1024).await else {
        return ApiError::Internal("a page was too large to send".to_owned()).into_response();
    };
    let text = String::from_utf8_lossy(&bytes);
    let hashes: Vec<String> = inline_scripts(&text)
        .map(|script| {
            use base64::Engine;
            format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes())))
        })
        .collect();
    let policy = BASE_CSP.replacen("'wasm-unsafe-eval'", &format!("'wasm-unsafe-eval' {}", hashes.join(" ")), 1);
    if let Ok(value) = HeaderValue::from_str(&policy) {
        parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// The bodies of `<script …>…</script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, after) = rest.split_once('>')?;
        let (body, _) = after.split_once("</script>")?;
        (!attributes.contains("src=") && !body.is_empty()).then_some(body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_public_origin_only_loopback_hosts_are_served() {
        let hosts = Hosts::default();
        assert!(hosts.admits("127.0.0.1:3000") && hosts.admits("localhost:8080") && hosts.admits("[::1]:3000"));
        assert!(!hosts.admits("evil.example:3000") && !hosts.admits("127.0.0.1.evil.example"));
    }

    #[test]
    fn with_a_public_origin_only_its_host_is_served() {
        let hosts = Hosts::for_origin("https://club.example.com/").unwrap();
        assert!(hosts.admits("club.example.com") && hosts.admits("club.example.com:443"));
        assert!(!hosts.admits("localhost:3000"));
        assert!(hosts.secure());
        assert!(hosts.same_origin("https://club.example.com", "club.example.com"));
        assert!(!hosts.same_origin("https://evil.example", "club.example.com"));
        assert!(Hosts::for_origin("club.example.com").is_err());
    }

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = r#"<script src="/a.js"></script><script type="module">boot()</script>"#;
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), vec!["boot()"]);
    }
}
