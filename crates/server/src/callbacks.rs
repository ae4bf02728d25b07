//! `POST /callbacks/{channel_account_id}`: result notifications from the bank, by the
//! consumer's browser (page) or server to server. Nothing in a message is believed before its
//! signature, merchant, order and amount check out; every message is kept (masked), and the same
//! bytes twice change nothing.

use crate::flows;
use crate::inbound;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use unipay_core::channel::{BankNotification, NotificationMode, NotificationOutcome};
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentEvent;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::PaymentChange;

pub const MAX_CALLBACK_BYTES: usize = 32 * 1024;

pub async fn bank_notification(
    State(state): State<AppState>,
    Path(channel_account_id): Path<String>,
    body: Bytes,
) -> Response {
    match handle(&state, &channel_account_id, &body).await {
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
) -> Result<Response, flows::FlowError> {
    let Some(channel) = inbound::channel_of(state, channel_account_id).await? else {
        return Ok(refused(StatusCode::NOT_FOUND, "unknown channel account"));
    };
    let now = state.now_ms();
    let notification = match channel.read_notification(body) {
        Ok(notification) => notification,
        Err(error) => {
            inbound::keep_unverified(
                state,
                channel_account_id,
                body,
                "unknown",
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
    let message = |payment_id, verdict, reason| InboundMessage {
        channel_account_id,
        sha256: &notification.raw_sha256,
        payment_id,
        order_no: Some(&notification.order_no),
        source: source.as_str(),
        verdict,
        reason,
        raw_masked: &notification.raw_masked,
        now_ms: now,
    };
    let payment = state
        .store
        .get_payment_by_order_no(channel_account_id, &notification.order_no)
        .await?;
    let Some(payment) = payment else {
        reject(state, &message(None, "rejected", "unknown order number")).await?;
        return Ok(refused(StatusCode::BAD_REQUEST, "unknown order"));
    };
    let amount = notified_amount(&notification);
    if amount != payment.amount.fen() {
        let reason = format!(
            "amount {amount} fen does not match the order's {} fen",
            payment.amount.fen()
        );
        reject(state, &message(Some(&payment.id), "rejected", &reason)).await?;
        return Ok(refused(StatusCode::BAD_REQUEST, "amount mismatch"));
    }
    let (event, paid, detail) = match &notification.outcome {
        NotificationOutcome::Paid(paid) => (PaymentEvent::BankSucceeded, Some(paid), ""),
        NotificationOutcome::Failed { reason, .. } => {
            (PaymentEvent::BankFailed, None, reason.as_str())
        }
    };
    // The message is kept in the same transaction as the change it causes; a repeat of the
    // same bytes changes nothing and adds nothing to the timeline.
    let accepted = message(Some(&payment.id), "accepted", "");
    crate::crash::crash_point("callback.after_verify_before_commit");
    flows::apply(
        state,
        &PaymentChange {
            payment_id: &payment.id,
            event,
            source,
            paid,
            payment_type: None,
            next_query_at: None,
            detail,
            raw_sha256: Some(&notification.raw_sha256),
            message: Some(&accepted),
            delivery_lease_ms: 0,
            known: Some(&payment),
            now_ms: now,
        },
    )
    .await?;
    let customer_url = format!("{}/pay/{}/result", state.config.public_url, payment.id);
    Ok(inbound::bank_answer(channel.as_ref(), &customer_url))
}

fn notified_amount(notification: &BankNotification) -> i64 {
    match &notification.outcome {
        NotificationOutcome::Paid(paid) => paid.amount.fen(),
        NotificationOutcome::Failed { amount, .. } => amount.fen(),
    }
}

async fn reject(state: &AppState, message: &InboundMessage<'_>) -> Result<(), flows::FlowError> {
    tracing::warn!(
        channel_account_id = message.channel_account_id,
        order_no = message.order_no,
        reason = message.reason,
        "bank notification rejected"
    );
    state.store.record_bank_message(message).await?;
    Ok(())
}

fn refused(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
