//! The API reads a body as it is sent: framed by `Content-Length`, not encoded, and no larger than a
//! push may be (the largest body any endpoint takes). Anything else is refused before a handler
//! reads a byte of it, so that no two readers (a proxy in front, this server) can disagree about
//! where a request ends or what it says.

use crate::error::ApiError;
use axum::{
    extract::Request,
    http::{header, HeaderMap},
    middleware::Next,
    response::{IntoResponse, Response},
};
use shared::protocol::MAX_PUSH_BYTES;

pub async fn refuse_unreadable_bodies(request: Request, next: Next) -> Response {
    match check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

fn check(headers: &HeaderMap) -> Result<(), ApiError> {
    // hyper reads a request carrying both Content-Length and Transfer-Encoding by the latter and
    // drops the former (RFC 9112, 6.3): past hyper such a request looks chunked, so every
    // Transfer-Encoding is refused. Browsers always send a length with a fetch body.
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return Err(ApiError::TransferEncodingRefused);
    }
    // (hyper has refused a Content-Length that is not one number.)
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    if length == 0 {
        return Ok(());
    }
    // Said at once, from the header: reading toward a limit the body is declared to pass would only
    // hold the connection until the body came or the read timed out.
    if length > MAX_PUSH_BYTES as u64 {
        return Err(ApiError::BodyTooLarge);
    }
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let codings = String::from_utf8_lossy(value.as_bytes());
        for coding in codings.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !coding.eq_ignore_ascii_case("identity") {
                // Only a short piece of what the client sent goes back to it, and to the log.
                return Err(ApiError::UnsupportedContentEncoding(coding.chars().take(40).collect()));
            }
        }
    }
    Ok(())
}
