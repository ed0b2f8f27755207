//! The account endpoints (`/api/auth/*`): signing in and out, the sessions the server holds for
//! this device, and the club's staff. The session itself is an HttpOnly cookie the browser sends.

use gloo_net::http::{Request, RequestBuilder};
use gloo_timers::future::TimeoutFuture;
use serde::{de::DeserializeOwned, Serialize};
use shared::{
    access::StaffId,
    protocol::{ErrorBody, ErrorResponse, LoginRequest, SessionInfo, StaffMember},
};
use std::pin::pin;

const TIMEOUT_MS: u32 = 20_000;

/// Why an account request did not work.
#[derive(Debug)]
pub enum Failed {
    /// No answer (offline, the server down, too slow).
    Unreachable,
    /// The server answered with an error.
    Refused { status: u16, error: ErrorBody },
}

pub async fn login(request: &LoginRequest) -> Result<SessionInfo, Failed> {
    send(Request::post("/api/auth/login"), Some(request)).await
}

#[derive(Serialize)]
struct Logout {
    staff: StaffId,
}

pub async fn logout(staff: StaffId) -> Result<(), Failed> {
    send::<_, Option<()>>(Request::post("/api/auth/logout"), Some(&Logout { staff })).await.map(drop)
}

/// Every staff member the server holds signed in on this device.
pub async fn sessions() -> Result<Vec<SessionInfo>, Failed> {
    send(Request::get("/api/auth/session"), None::<&()>).await
}

/// The club's staff, to say who made an event.
pub async fn staff() -> Result<Vec<StaffMember>, Failed> {
    send(Request::get("/api/auth/staff"), None::<&()>).await
}

/// One request; an empty success (204) reads as JSON `null`.
async fn send<B: Serialize, T: DeserializeOwned>(builder: RequestBuilder, body: Option<&B>) -> Result<T, Failed> {
    let controller = web_sys::AbortController::new().ok();
    let builder = builder.abort_signal(controller.as_ref().map(|c| c.signal()).as_ref());
    let request = match body {
        Some(body) => builder.json(body),
        None => builder.build(),
    }
    .map_err(|e| refused(0, format!("the request could not be made: {e}")))?;
    let exchange = pin!(async move {
        let response = request.send().await?;
        Ok::<_, gloo_net::Error>((response.status(), response.text().await?))
    });
    let (status, text) = match futures::future::select(exchange, pin!(TimeoutFuture::new(TIMEOUT_MS))).await {
        futures::future::Either::Left((Ok(answer), _)) => answer,
        futures::future::Either::Left((Err(e), _)) => {
            log::info!("account request failed: {e}");
            return Err(Failed::Unreachable);
        }
        futures::future::Either::Right(_) => {
            if let Some(controller) = controller {
                controller.abort();
            }
            return Err(Failed::Unreachable);
        }
    };
    match status {
        200..=299 => {
            let text = if text.trim().is_empty() { "null" } else { text.as_str() };
            serde_json::from_str(text)
                .map_err(|e| refused(status, format!("the server's answer could not be read: {e}")))
        }
        // A proxy's or the server's failure page says nothing useful: the server is not there.
        502..=504 => Err(Failed::Unreachable),
        _ => Err(match serde_json::from_str::<ErrorResponse>(&text) {
            Ok(body) => Failed::Refused { status, error: body.error },
            Err(_) => refused(status, format!("the server answered {status}")),
        }),
    }
}

fn refused(status: u16, message: String) -> Failed {
    Failed::Refused {
        status,
        error: ErrorBody { code: "client".into(), message, stream: None, event: None, epoch: None },
    }
}
