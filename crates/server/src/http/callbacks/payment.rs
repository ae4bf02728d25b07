//! `POST /callbacks/{channel_account_id}`: result notifications from the bank, by the
//! consumer's browser (page) or server to server. Nothing in a message is believed before its
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
use axum::response::{IntoResponse, Response};

pub async fn bank_notification(
    State(state): State<AppState>,
    Path(channel_account_id): Path<String>,
    SourceAddress(from): SourceAddress,
    body: Bytes,
) -> Response {
    match handle(&state, &channel_account_id, &body, &from).await {
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
) -> Result<Response, flows::FlowError> {
    let Some(channel) = flows::known_channel(state, channel_account_id).await? else {
        return Ok(refused(StatusCode::NOT_FOUND, "unknown channel account"));
    };
    let notification = match channel.read_notification(body) {
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
        };
    let customer_url = format!("{}/pay/{}/result", state.config.public_url, payment.id);
    Ok(inbound::bank_answer(channel.as_ref(), &customer_url))
}

fn refused(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
