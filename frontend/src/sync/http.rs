//! Push and pull over HTTP, with the answer mapped to what the replicator needs to decide: a reply,
//! a refusal (resending the same request cannot help), or a transient failure (retry later).

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

pub async fn push(request: &PushRequest) -> Result<PushResponse, Failure> {
    send(Request::post("/api/sync/push"), Some(request), PUSH_TIMEOUT_MS).await
}

pub async fn pull(after: u64, limit: u32) -> Result<PullResponse, Failure> {
    let url = format!("/api/sync/pull?after={after}&limit={limit}");
    send(Request::get(&url), None::<&()>, PULL_TIMEOUT_MS).await
}

async fn send<B: Serialize, T: DeserializeOwned>(
    builder: RequestBuilder,
    body: Option<&B>,
    timeout_ms: u32,
) -> Result<T, Failure> {
    let controller = web_sys::AbortController::new().ok();
    let builder = builder.abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
    let request = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    }
    .map_err(|e| Failure::Transient(format!("The request could not be made: {e}")))?;

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
            return Err(Failure::Transient("No connection to the server".into()));
        }
        futures::future::Either::Right(_) => {
            if let Some(controller) = controller {
                controller.abort();
            }
            return Err(Failure::Transient("The server did not answer in time".into()));
        }
    };
    answer(status, &text)
}

fn answer<T: DeserializeOwned>(status: u16, text: &str) -> Result<T, Failure> {
    match status {
        200..=299 => serde_json::from_str(text)
            .map_err(|e| Failure::Transient(format!("The server's answer could not be read: {e}"))),
        // A refusal makes the replicator set the pushed events aside for good. These statuses say
        // nothing about the events (signed out, no sync API behind this address, slow down), so
        // they are retried instead, or an expired session would cost staff their offline work.
        401 | 403 | 404 | 408 | 425 | 429 => Err(Failure::Transient(format!("The server answered {status}"))),
        400..=499 => match serde_json::from_str::<ErrorResponse>(text) {
            Ok(body) => Err(Failure::Refused { status, error: body.error }),
            Err(_) => Err(Failure::Transient(format!("The server answered {status}"))),
        },
        _ => Err(Failure::Transient(format!("The server answered {status}"))),
    }
}
