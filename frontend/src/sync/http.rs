//! Push and pull over HTTP, with the answer mapped to what the replicator needs to decide: a reply,
//! a refusal (resending the same request cannot help), or a transient failure (retry later); and
//! what the answer says about this device's session on the server.

use gloo_net::http::{Request, RequestBuilder};
use gloo_timers::future::TimeoutFuture;
use serde::{de::DeserializeOwned, Serialize};
use shared::{
    protocol::{ErrorResponse, PullResponse, PushRequest, PushResponse},
    replication::Failure,
};
use std::pin::pin;

/// A request that hangs (a half-open connection in a basement) must not block sync forever.
const PUSH_TIMEOUT_MS: u32 = 30_000;
const PULL_TIMEOUT_MS: u32 = 60_000;

/// What an answer says about this device's session on the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Heard {
    /// The server answered the request: the session holds.
    SignedIn,
    /// 401 `not_signed_in`: the server ended this device's sessions (expired, revoked).
    SignedOut,
    /// No answer, or one that says nothing about the session.
    Nothing,
}

/// The server's answer, and what it says about the session.
pub struct Answer<T> {
    pub result: Result<T, Failure>,
    pub heard: Heard,
}

pub async fn push(request: &PushRequest) -> Answer<PushResponse> {
    send(Request::post("/api/sync/push"), Some(request), PUSH_TIMEOUT_MS).await
}

pub async fn pull(after: u64, limit: u32) -> Answer<PullResponse> {
    let url = format!("/api/sync/pull?after={after}&limit={limit}");
    send(Request::get(&url), None::<&()>, PULL_TIMEOUT_MS).await
}

async fn send<B: Serialize, T: DeserializeOwned>(
    builder: RequestBuilder,
    body: Option<&B>,
    timeout_ms: u32,
) -> Answer<T> {
    let (status, code, result) = exchange(builder, body, timeout_ms).await;
    let heard = match (status, code.as_deref()) {
        (Some(401), _) => Heard::SignedOut,
        // The cookie's sessions were made by this browser under another device id (its store was
        // deleted or evicted, the cookie was not): they cannot push for this device, ever. The
        // device is as signed out as with a 401: staff sign in again, and nothing pending is lost.
        (Some(403), Some("device_mismatch")) => Heard::SignedOut,
        (Some(200..=299), _) => Heard::SignedIn,
        _ => Heard::Nothing,
    };
    Answer { result, heard }
}

/// The request's answer status (none if there was no answer), the error's code if it was refused,
/// and its meaning for the replicator.
async fn exchange<B: Serialize, T: DeserializeOwned>(
    builder: RequestBuilder,
    body: Option<&B>,
    timeout_ms: u32,
) -> (Option<u16>, Option<String>, Result<T, Failure>) {
    let controller = web_sys::AbortController::new().ok();
    let builder = builder.abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
    let request = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    };
    let request = match request {
        Ok(request) => request,
        Err(e) => return (None, None, Err(Failure::Transient(format!("The request could not be made: {e}")))),
    };

    let exchange = pin!(async move {
        let response = request.send().await?;
        let status = response.status();
        Ok::<_, gloo_net::Error>((status, response.text().await?))
    });
    let (status, text) = match futures::future::select(exchange, pin!(TimeoutFuture::new(timeout_ms))).await {
        futures::future::Either::Left((Ok(answer), _)) => answer,
        futures::future::Either::Left((Err(e), _)) => {
            // Staff read the reason on the badge; the browser's own words go to the console.
            log::info!("sync request failed: {e}");
            return (None, None, Err(Failure::Transient("No connection to the server".into())));
        }
        futures::future::Either::Right(_) => {
            if let Some(controller) = controller {
                controller.abort();
            }
            return (None, None, Err(Failure::Transient("The server did not answer in time".into())));
        }
    };
    let code =
        (status >= 400).then(|| serde_json::from_str::<ErrorResponse>(&text).ok()).flatten().map(|b| b.error.code);
    (Some(status), code, answer(status, &text))
}

fn answer<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, Failure> {
    match status {
        200..=299 => serde_json::from_str(text)
            .map_err(|e| Failure::Transient(format!("The server's answer could not be read: {e}"))),
        // A refusal makes the replicator set the pushed events aside for good. These statuses say
        // nothing about the events (signed out, no sync API behind this address, slow down), so
        // they are retried instead, or an expired session would cost staff their offline work.
        401 => Err(Failure::Transient("Signed out by the server: sign in again to sync".into())),
        // A role refused one stream's change: that stream is set aside, with the server's reason,
        // in the inbox. Any other 403 (an author not signed in here, another club) is about the
        // session, not the events: retried, with the reason on the badge, until someone signs in.
        403 => match serde_json::from_str::<ErrorResponse>(text) {
            Ok(body) if body.error.code == "forbidden" && body.error.stream.is_some() => {
                Err(Failure::Refused { status, error: body.error })
            }
            Ok(body) if body.error.code == "device_mismatch" && body.error.event.is_none() => Err(Failure::Transient(
                "This device's sign-in is from before its data was reset: sign in again to sync".into(),
            )),
            Ok(body) => Err(Failure::Transient(body.error.message)),
            Err(_) => Err(Failure::Transient(format!("The server answered {status}"))),
        },
        404 | 408 | 425 | 429 => Err(Failure::Transient(format!("The server answered {status}"))),
        400..=499 => match serde_json::from_str::<ErrorResponse>(text) {
            Ok(body) => Err(Failure::Refused { status, error: body.error }),
            Err(_) => Err(Failure::Transient(format!("The server answered {status}"))),
        },
        _ => Err(Failure::Transient(format!("The server answered {status}"))),
    }
}
