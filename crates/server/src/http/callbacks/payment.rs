//! `POST /callbacks/{channel_account_id}`: result notifications from the bank, by the
//! consumer's browser (page) or server to server; `POST /callbacks/{channel_account_id}/front`:
//! the result a bank's page sends back through the browser to an address of its own
//! (UnionPay's `frontUrl`), read by the same rules. Nothing in a message is believed before its
//! signature, merchant, order and amount check out; every message is kept (masked), and the same
//! bytes twice change nothing.

use crate::flows;
use crate::flows::bank_result::NotificationVerdict;
use crate::http::callbacks::inbound;
use crate::http::rate_limit::SourceAddress;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

pub async fn bank_notification(
    State(state): State<AppState>,
    Path(channel_account_id): Path<String>,
    SourceAddress(from): SourceAddress,
    body: Bytes,
) -> Response {
    answer(&state, &channel_account_id, &body, &from, Via::Server).await
}

pub async fn browser_notification(
    State(state): State<AppState>,
    Path(channel_account_id): Path<String>,
    SourceAddress(from): SourceAddress,
    body: Bytes,
) -> Response {
    answer(&state, &channel_account_id, &body, &from, Via::Browser).await
}

/// Which address a notification came to.
#[derive(Clone, Copy)]
enum Via {
    Server,
    Browser,
}

async fn answer(
    state: &AppState,
    channel_account_id: &str,
    body: &[u8],
    from: &str,
    via: Via,
) -> Response {
    match handle(state, channel_account_id, body, from, via).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, channel_account_id, "bank notification could not be processed");
            // Not the answer the bank waits for: it will send the notification again.
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable").into_response()
        }
    }
}

async fn handle(
    state: &AppState,
    channel_account_id: &str,
    body: &[u8],
    from: &str,
    via: Via,
) -> Result<Response, flows::FlowError> {
    let Some(channel) = flows::known_channel(state, channel_account_id).await? else {
        return Ok(refused(StatusCode::NOT_FOUND, "unknown channel account"));
    };
    let read = match via {
        Via::Server => channel.read_notification(body),
        Via::Browser => channel.read_browser_notification(body),
    };
    let notification = match read {
        Ok(notification) => notification,
        Err(error) => {
            flows::unverified::keep_unverified(
                state,
                channel_account_id,
                body,
                "unknown",
                &error.to_string(),
                from,
            )
            .await?;
            return Ok((StatusCode::BAD_REQUEST, "rejected").into_response());
        }
    };
    let payment =
        match flows::bank_result::record_notification(state, channel_account_id, notification)
            .await?
        {
            NotificationVerdict::Recorded(payment) => payment,
            NotificationVerdict::UnknownOrder => {
                return Ok(refused(StatusCode::BAD_REQUEST, "unknown order"));
            }
            NotificationVerdict::AmountMismatch => {
                return Ok(refused(StatusCode::BAD_REQUEST, "amount mismatch"));
            }
            NotificationVerdict::OperationNoted => {
                return Ok((StatusCode::OK, "ok").into_response());
            }
        };
    let customer_url = format!("{}/pay/{}/result", state.config.public_url, payment.id);
    Ok(match via {
        Via::Server => inbound::bank_answer(channel.as_ref(), &customer_url),
        // The consumer's browser: on to the result page, which shows what we now know.
        Via::Browser => Redirect::to(&customer_url).into_response(),
    })
}

fn refused(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
