//! `POST /callbacks/{channel_account_id}/identity/{verify_no}`: identity verification results
//! (`IdentityVerifyResult`) from the bank. The result names no number of ours, so each
//! verification gets its own address (sent as its ResultNotifyURL). Verified like a payment
//! result (signature, merchant) and then matched: the card and certificate numbers it names must
//! be the verification's, or a genuine result could be replayed at another verification's
//! address. Every message is kept masked, and the same bytes twice change nothing.

use crate::flows;
use crate::flows::FlowError;
use crate::flows::identity::Verdict;
use crate::http::callbacks::inbound;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use unipay_store::messages::InboundMessage;

const SOURCE: &str = "identity_notification";

pub async fn identity_result(
    State(state): State<AppState>,
    Path((channel_account_id, verify_no)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    match handle(&state, &channel_account_id, &verify_no, &body).await {
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
) -> Result<Response, FlowError> {
    let Some(channel) = flows::known_channel(state, channel_account_id).await? else {
        return Ok((StatusCode::NOT_FOUND, "unknown channel account").into_response());
    };
    let Some(identity) = channel.identity() else {
        return Ok((StatusCode::NOT_FOUND, "no identity verification here").into_response());
    };
    let now = state.now_ms();
    let notification = match identity.read_identity_result(verify_no, body) {
        Ok(notification) => notification,
        Err(error) => {
            flows::unverified::keep_unverified(
                state,
                channel_account_id,
                body,
                SOURCE,
                &error.to_string(),
            )
            .await?;
            return Ok((StatusCode::BAD_REQUEST, "rejected").into_response());
        }
    };
    let message = |verdict, reason| InboundMessage {
        channel_account_id,
        sha256: &notification.raw_sha256,
        payment_id: None,
        order_no: Some(&notification.verify_no),
        source: SOURCE,
        verdict,
        reason,
        raw_masked: &notification.raw_masked,
        now_ms: now,
    };
    let Some(verification) = state
        .store
        .get_identity_verification_by_verify_no(channel_account_id, &notification.verify_no)
        .await?
    else {
        tracing::warn!(channel_account_id, verify_no = %notification.verify_no, "identity result for an unknown verification");
        state
            .store
            .record_bank_message(&message("rejected", "unknown verification number"))
            .await?;
        return Ok((StatusCode::BAD_REQUEST, "unknown verification").into_response());
    };
    // Compared by their last four characters, all a mask keeps of the number (the bank may
    // echo the number whole or masked).
    let tail = |masked: &str| masked.chars().rev().take(4).collect::<String>();
    let echoed = [
        (&notification.card_no_masked, &verification.card.masked),
        (
            &notification.certificate_no_masked,
            &verification.certificate.masked,
        ),
    ];
    if echoed
        .iter()
        .any(|(theirs, ours)| !theirs.is_empty() && tail(theirs) != tail(ours))
    {
        tracing::warn!(
            channel_account_id,
            verify_no,
            "identity result names another card or certificate"
        );
        state
            .store
            .record_bank_message(&message(
                "rejected",
                "the result names another card or certificate than the verification",
            ))
            .await?;
        return Ok((StatusCode::BAD_REQUEST, "not this verification").into_response());
    }
    let accepted = message("accepted", "");
    let after = flows::identity::finish(
        state,
        &verification,
        &Verdict::of(&notification.outcome),
        Some(&accepted),
    )
    .await?;
    let customer_url = after
        .return_url
        .clone()
        .unwrap_or_else(|| state.config.public_url.clone());
    Ok(inbound::bank_answer(channel.as_ref(), &customer_url))
}
