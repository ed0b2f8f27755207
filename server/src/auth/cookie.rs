//! The session cookie: `faraday_session=<token>.<token>…`, one token per staff member signed in on
//! this device (a shared desk switches staff without signing the others out). HttpOnly (scripts
//! never see a token), SameSite=Strict (no other site's page sends it), Secure when served over
//! TLS. docs/SECURITY.md says why a cookie and not a bearer token.

use super::token::looks_like_token;
use axum::http::{header, HeaderMap, HeaderValue};
use std::time::Duration;

pub const COOKIE: &str = "faraday_session";
/// Most staff members signed in on one device at once.
pub const MAX_SESSIONS_PER_DEVICE: usize = 8;

/// The tokens the request's cookie holds (well-formed ones only, at most the per-device number).
pub fn tokens(headers: &HeaderMap) -> Vec<String> {
    let mut found = Vec::new();
    for value in headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';') {
            let Some((name, value)) = pair.trim().split_once('=') else { continue };
            if name == COOKIE {
                found.extend(value.split('.').filter(|t| looks_like_token(t)).map(str::to_owned));
            }
        }
    }
    found.dedup();
    found.truncate(MAX_SESSIONS_PER_DEVICE);
    found
}

/// The `Set-Cookie` that leaves exactly `tokens` on the device (none: the cookie is removed).
pub fn set(tokens: &[String], lifetime: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = if tokens.is_empty() {
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
    } else {
        format!(
            "{COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            tokens.join("."),
            lifetime.as_secs()
        )
    };
    HeaderValue::from_str(&value).expect("tokens are hex")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_of_our_cookie_are_read() {
        let a = "a".repeat(64);
        let b = "0".repeat(64);
        let mut headers = HeaderMap::new();
        let cookie = format!("other=x; {COOKIE}={a}.nonsense.{b}");
        headers.insert(header::COOKIE, cookie.parse().unwrap());
        assert_eq!(tokens(&headers), vec![a.clone(), b.clone()]);
        let set = set(&[a, b], Duration::from_secs(60), true);
        let set = set.to_str().unwrap();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.ends_with("Secure"));
    }
}
