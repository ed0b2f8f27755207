//! The one error type of the HTTP API, mapped to a status and `{"error": {"code", "message"}}` here, once.

use axum::{
    extract::{
        rejection::{JsonRejection, QueryRejection},
        FromRequest,
    },
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use shared::{
    acceptance::{Refusal, ShapeError},
    protocol::{ErrorBody, ErrorResponse, MAX_PUSH_BYTES},
};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Body(#[from] JsonRejection),
    #[error("{0}")]
    Query(#[from] QueryRejection),
    #[error(transparent)]
    Shape(#[from] ShapeError),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("{0}")]
    BadRequest(String),
    #[error("sign in first: this needs a staff member signed in on this device")]
    NotSignedIn,
    /// Signed in, but this is not theirs to do or see (the stream and event it is about, if one) (`code` says which rule: `forbidden`,
    /// `staff_mismatch`, `device_mismatch`, `other_club`, `cross_origin`).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String, stream: Option<shared::StreamId>, event: Option<uuid::Uuid> },
    #[error("the e-mail address or the password is wrong")]
    LoginFailed,
    #[error("too many sign-in attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// A sign-in to another club than the one this device's sessions are in.
    #[error("{0}")]
    OtherClub(String),
    #[error("this server answers for {expected}, not for the host {got:?}")]
    WrongHost { expected: String, got: String },
    #[error("no API endpoint at {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
    #[error("the server is shutting down")]
    Unavailable,
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    #[error("too many live connections are open; try again in {retry_after_secs} s")]
    TooManyLiveConnections { retry_after_secs: u64 },
    #[error("the API reads bodies framed by Content-Length only: Transfer-Encoding is refused")]
    TransferEncodingRefused,
    #[error("Content-Encoding {0:?} is not supported: send the body unencoded")]
    UnsupportedContentEncoding(String),
    /// Declared by `Content-Length`, refused before the body is read.
    #[error(
        "the body is larger than this endpoint takes (a push at most {} MiB, a sign-in 4 KiB)",
        MAX_PUSH_BYTES / (1024 * 1024)
    )]
    BodyTooLarge,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Body(r) => r.status(),
            ApiError::Query(r) => r.status(),
            ApiError::Shape(ShapeError::TooManyEvents(_) | ShapeError::EventTooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            ApiError::Shape(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Refused(
                Refusal::IdReused { .. } | Refusal::ParentAhead { .. } | Refusal::EpochChanged { .. },
            ) => StatusCode::CONFLICT,
            ApiError::Refused(Refusal::RuleBroken { .. }) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Refused(Refusal::StoredUnreadable { .. }) | ApiError::Store(_) | ApiError::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotSignedIn | ApiError::LoginFailed => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::OtherClub(_) => StatusCode::CONFLICT,
            ApiError::WrongHost { .. } => StatusCode::MISDIRECTED_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyLiveConnections { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TransferEncodingRefused => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedContentEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Body(JsonRejection::JsonSyntaxError(_)) => "malformed_json",
            ApiError::Body(JsonRejection::JsonDataError(_)) => "invalid_body",
            ApiError::Body(JsonRejection::MissingJsonContentType(_)) => "unsupported_media_type",
            ApiError::Body(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            ApiError::BodyTooLarge => "payload_too_large",
            ApiError::Body(_) => "unreadable_body",
            ApiError::Query(_) => "invalid_query",
            ApiError::Shape(e) => e.code(),
            ApiError::Refused(r) => r.code(),
            ApiError::BadRequest(_) => "bad_request",
            ApiError::NotSignedIn => "not_signed_in",
            ApiError::Forbidden { code, .. } => code,
            ApiError::LoginFailed => "login_failed",
            ApiError::TooManyAttempts { .. } => "too_many_attempts",
            ApiError::OtherClub(_) => "other_club",
            ApiError::WrongHost { .. } => "wrong_host",
            ApiError::NotFound(_) => "not_found",
            ApiError::Store(_) | ApiError::Internal(_) => "internal",
            ApiError::Unavailable => "unavailable",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::TooManyLiveConnections { .. } => "too_many_live_connections",
            ApiError::TransferEncodingRefused => "transfer_encoding_refused",
            ApiError::UnsupportedContentEncoding(_) => "unsupported_content_encoding",
        }
    }

    fn body(&self) -> ErrorBody {
        let (stream, event) = match self {
            ApiError::Shape(e) => (e.stream(), e.event()),
            ApiError::Refused(Refusal::RuleBroken { stream, event, .. }) => (Some(*stream), Some(*event)),
            ApiError::Refused(Refusal::IdReused { stream, id, .. }) => (Some(*stream), Some(*id)),
            ApiError::Refused(Refusal::ParentAhead { stream, .. }) => (Some(*stream), None),
            ApiError::Forbidden { stream, event, .. } => (*stream, *event),
            _ => (None, None),
        };
        let message = match self {
            // Internal details go to the log, never to the client.
            ApiError::Store(_) | ApiError::Internal(_) | ApiError::Refused(Refusal::StoredUnreadable { .. }) => {
                "something went wrong on the server; the request can be retried".to_owned()
            }
            ApiError::Body(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::BodyTooLarge.to_string(),
            ApiError::Body(r) => r.body_text(),
            ApiError::Query(r) => r.body_text(),
            other => other.to_string(),
        };
        let epoch = match self {
            ApiError::Refused(Refusal::EpochChanged { current, .. }) => Some(*current),
            _ => None,
        };
        ErrorBody { code: self.code().to_owned(), message, stream, event, epoch }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        // A flood of refused live connections is the server protecting itself, not failing.
        if status.is_server_error() && !matches!(self, ApiError::TooManyLiveConnections { .. }) {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, %status, "request refused");
        }
        // (The Allow header of a 405 is axum's: it knows the route's methods.)
        let extra = match &self {
            ApiError::TooManyLiveConnections { retry_after_secs } | ApiError::TooManyAttempts { retry_after_secs } => {
                Some((header::RETRY_AFTER, HeaderValue::from(*retry_after_secs)))
            }
            // RFC 9110, 15.5.16: a 415 for a content coding says which codings are accepted.
            ApiError::UnsupportedContentEncoding(_) => {
                Some((header::ACCEPT_ENCODING, HeaderValue::from_static("identity")))
            }
            _ => None,
        };
        let mut response = (status, Json(ErrorResponse { error: self.body() })).into_response();
        if let Some((name, value)) = extra {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

/// `Json` whose rejections (malformed, wrong shape, too large, wrong content type) answer in the
/// API's own error shape.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
