//! `POST /callbacks/{channel_account_id}/identity/{verify_no}`: identity verification results
//! (`IdentityVerifyResult`) from the bank. The result names no number of ours, so each
//! verification gets its own address (sent as its ResultNotifyURL). Verified like a payment
//! result (signature, merchant) and then matched: the card and certificate numbers it names must
//! be the verification's, or a genuine result could be replayed at another verification's
//! address. Every message is kept masked, and the same bytes twice change nothing.

use crate::flows;
use crate::flows::FlowError;
use crate::flows::identity::{ResultVerdict, SOURCE};
use crate::http::callbacks::inbound;
use crate::http::rate_limit::SourceAddress;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub async fn identity_result(
    State(state): State<AppState>,
    Path((channel_account_id, verify_no)): Path<(String, String)>,
    SourceAddress(from): SourceAddress,
    body: Bytes,
) -> Response {
    match handle(&state, &channel_account_id, &verify_no, &body, &from).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, channel_account_id, "identity result could not be processed");
            // Not the answer the bank waits for: it sends the result again.
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable").into_response()
        }
    }
}

async fn handle(
    state: &AppState,
    channel_account_id: &str,
    verify_no: &str,
    body: &[u8],
    from: &str,
) -> Result<Response, FlowError> {
    let Some(channel) = flows::known_channel(state, channel_account_id).await? else {
        return Ok((StatusCode::NOT_FOUND, "unknown channel account").into_response());
    };
    let Some(identity) = channel.identity() else {
        return Ok((StatusCode::NOT_FOUND, "no identity verification here").into_response());
    };
    let _now = state.now_ms();
    let notification = match identity.read_identity_result(verify_no, body) {
        Ok(notification) => notification,
        Err(error) => {
            flows::unverified::keep_unverified(
                state,
                channel_account_id,
                body,
                SOURCE,
                &error.to_string(),
                from,
            )
            .await?;
            return Ok((StatusCode::BAD_REQUEST, "rejected").into_response());
        }
    };
    let after =
        match flows::identity::record_result(state, channel_account_id, &notification).await? {
            ResultVerdict::Recorded(after) => after,
            ResultVerdict::UnknownVerification => {
                return Ok((StatusCode::BAD_REQUEST, "unknown verification").into_response());
            }
            ResultVerdict::NotThisVerification => {
                return Ok((StatusCode::BAD_REQUEST, "not this verification").into_response());
            }
        };
    let customer_url = after
        .return_url
        .clone()
        .unwrap_or_else(|| state.config.public_url.clone());
    Ok(inbound::bank_answer(channel.as_ref(), &customer_url))
}
