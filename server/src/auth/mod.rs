//! Staff accounts, clubs and sessions: who may reach the API, and which club's log they see.

pub mod accounts;
pub mod admin;
pub mod cookie;
pub mod limiter;
mod middleware;
pub mod password;
mod routes;
pub mod session;
pub mod token;

pub use accounts::{Accounts, ActiveSession};
pub use middleware::require_session;
pub use routes::routes;
pub use session::Session;

use std::{sync::Arc, time::Duration};

/// How sessions are given out.
#[derive(Clone)]
pub struct AuthConfig {
    /// How long a sign-in lasts, online and offline on the device (the device stops working for
    /// that person after it). One working day and a margin by default.
    pub session_lifetime: Duration,
    /// Whether the cookie is marked Secure (the public origin is https).
    pub secure_cookie: bool,
    pub limiter: Arc<limiter::LoginLimiter>,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            session_lifetime: Duration::from_secs(12 * 3600),
            secure_cookie: false,
            limiter: Arc::new(limiter::LoginLimiter::default()),
        }
    }
}
