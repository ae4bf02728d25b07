//! `POST /callbacks/{channel_account_id}/mandates`: signing results (`AgentSignResult`) from
//! the bank, by the customer's browser or server to server. Verified like a payment result
//! (signature, merchant) before anything is believed; every message is kept (masked), and the
//! same bytes twice change nothing.

use crate::flows;
use crate::flows::FlowError;
use crate::http::callbacks::inbound;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use unipay_core::channel::NotificationMode;
use unipay_core::event::EventSource;
use unipay_core::mandate::MandateEvent;
use unipay_core::mandate_channel::BankMandateState;
use unipay_store::mandates::MandateChange;
use unipay_store::messages::InboundMessage;

pub async fn sign_result(
    State(state): State<AppState>,
    Path(channel_account_id): Path<String>,
    body: Bytes,
) -> Response {
    match handle(&state, &channel_account_id, &body).await {
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
) -> Result<Response, FlowError> {
    let Some(channel) = flows::known_channel(state, channel_account_id).await? else {
        return Ok((StatusCode::NOT_FOUND, "unknown channel account").into_response());
    };
    let Some(mandates) = channel.mandates() else {
        return Ok((StatusCode::NOT_FOUND, "no mandates on this channel").into_response());
    };
    let now = state.now_ms();
    let notification = match mandates.read_sign_result(body) {
        Ok(notification) => notification,
        Err(error) => {
            inbound::keep_unverified(
                state,
                channel_account_id,
                body,
                "mandate_notification",
                &error.to_string(),
            )
            .await?;
            return Ok((StatusCode::BAD_REQUEST, "rejected").into_response());
        }
    };
    let source = match notification.mode {
        NotificationMode::Page => EventSource::PageNotification,
        NotificationMode::Server => EventSource::ServerNotification,
    };
    let message = |verdict, reason| InboundMessage {
        channel_account_id,
        sha256: &notification.raw_sha256,
        payment_id: None,
        order_no: Some(&notification.sign_request_no),
        source: source.as_str(),
        verdict,
        reason,
        raw_masked: &notification.raw_masked,
        now_ms: now,
    };
    let Some(mandate) = state
        .store
        .get_mandate_by_sign_request_no(channel_account_id, &notification.sign_request_no)
        .await?
    else {
        tracing::warn!(channel_account_id, "signing result for an unknown signing");
        state
            .store
            .record_bank_message(&message("rejected", "unknown signing number"))
            .await?;
        return Ok((StatusCode::BAD_REQUEST, "unknown signing").into_response());
    };
    let accepted = message("accepted", "");
    let reason;
    let base = MandateChange {
        mandate_id: &mandate.id,
        event: MandateEvent::BankSigned,
        source,
        agent_sign_no: None,
        card_masked: None,
        signed_at: None,
        detail: "",
        message: Some(&accepted),
        delivery_lease_ms: 0,
        now_ms: now,
    };
    let change = match &notification.state {
        BankMandateState::Signed(signed) => MandateChange {
            agent_sign_no: Some(&signed.agent_sign_no),
            card_masked: Some(&signed.card_masked),
            signed_at: Some(signed.signed_at_ms),
            ..base
        },
        BankMandateState::Failed { code, reason: why } => {
            reason = format!("{code} {why}").trim().to_string();
            MandateChange {
                event: MandateEvent::BankSignFailed,
                detail: &reason,
                ..base
            }
        }
        // A result message only says signed or failed; anything else is read as nothing.
        _ => {
            state
                .store
                .record_bank_message(&message("rejected", "not a signing result"))
                .await?;
            return Ok((StatusCode::BAD_REQUEST, "rejected").into_response());
        }
    };
    flows::mandates::apply(state, &change).await?;
    let customer_url = mandate
        .return_url
        .clone()
        .unwrap_or_else(|| state.config.public_url.clone());
    Ok(inbound::bank_answer(channel.as_ref(), &customer_url))
}
