//! `POST /callbacks/{channel_account_id}/mandates`: signing results (`AgentSignResult`) from
//! the bank, by the customer's browser or server to server. Verified like a payment result
//! (signature, merchant) before anything is believed; every message is kept (masked), and the
//! same bytes twice change nothing.

use crate::flows;
use crate::flows::FlowError;
use crate::flows::mandates::SignResultVerdict;
use crate::http::callbacks::inbound;
use crate::http::rate_limit::SourceAddress;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub async fn sign_result(
    State(state): State<AppState>,
    Path(channel_account_id): Path<String>,
    SourceAddress(from): SourceAddress,
    body: Bytes,
) -> Response {
    match handle(&state, &channel_account_id, &body, &from).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, channel_account_id, "signing result could not be processed");
            // Not the answer the bank waits for: it sends the result again.
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable").into_response()
        }
    }
}

async fn handle(
    state: &AppState,
    channel_account_id: &str,
    body: &[u8],
    from: &str,
) -> Result<Response, FlowError> {
    let Some(channel) = flows::known_channel(state, channel_account_id).await? else {
        return Ok((StatusCode::NOT_FOUND, "unknown channel account").into_response());
    };
    let Some(mandates) = channel.mandates() else {
        return Ok((StatusCode::NOT_FOUND, "no mandates on this channel").into_response());
    };
    let notification = match mandates.read_sign_result(body) {
        Ok(notification) => notification,
        Err(error) => {
            flows::unverified::keep_unverified(
                state,
                channel_account_id,
                body,
                "mandate_notification",
                &error.to_string(),
                from,
            )
            .await?;
            return Ok((StatusCode::BAD_REQUEST, "rejected").into_response());
        }
    };
    let mandate = match flows::mandates::record_sign_result(
        state,
        channel_account_id,
        &notification,
    )
    .await?
    {
        SignResultVerdict::Recorded(mandate) => mandate,
        SignResultVerdict::UnknownSigning => {
            return Ok((StatusCode::BAD_REQUEST, "unknown signing").into_response());
        }
        SignResultVerdict::NotAResult => {
            return Ok((StatusCode::BAD_REQUEST, "rejected").into_response());
        }
    };
    let customer_url = mandate
        .return_url
        .clone()
        .unwrap_or_else(|| state.config.public_url.clone());
    Ok(inbound::bank_answer(channel.as_ref(), &customer_url))
}
