//! `POST /callbacks/{channel_account_id}`: result notifications from the bank, by the
//! consumer's browser (page) or server to server. Nothing in a message is believed before its
//! signature, merchant, order and amount check out; every message is kept (masked), and the same
//! bytes twice change nothing.

use crate::flows;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use unipay_core::channel::{BankNotification, NotificationMode, NotificationOutcome};
use unipay_core::event::EventSource;
use unipay_core::masking::mask_sensitive_fields;
use unipay_core::payment::{PaymentEvent, PaymentStatus};
use unipay_store::messages::{InboundMessage, Seen};
use unipay_store::payments::{Payment, PaymentChange};

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
    let Some(channel) = state
        .channels
        .get(&state.store, channel_account_id)
        .await
        .map_err(|e| {
            flows::FlowError::ChannelSetup(channel_account_id.to_string(), e.to_string())
        })?
    else {
        return Ok(refused(StatusCode::NOT_FOUND, "unknown channel account"));
    };
    let now = state.now_ms();
    let notification = match channel.read_notification(body) {
        Ok(notification) => notification,
        Err(error) => {
            let raw = String::from_utf8_lossy(&body[..body.len().min(MAX_CALLBACK_BYTES)]);
            let digest = hex::encode(Sha256::digest(body));
            record(
                state,
                channel_account_id,
                &digest,
                None,
                None,
                "unknown",
                "rejected",
                &error.to_string(),
                &mask_sensitive_fields(&raw),
                now,
            )
            .await?;
            tracing::warn!(%error, channel_account_id, "bank notification rejected");
            return Ok(refused(StatusCode::BAD_REQUEST, "rejected"));
        }
    };
    let source = match notification.mode {
        NotificationMode::Page => EventSource::PageNotification,
        NotificationMode::Server => EventSource::ServerNotification,
    };
    let payment = state
        .store
        .get_payment_by_order_no(channel_account_id, &notification.order_no)
        .await?;
    let Some(payment) = payment else {
        reject(
            state,
            channel_account_id,
            &notification,
            None,
            source,
            "unknown order number",
            now,
        )
        .await?;
        return Ok(refused(StatusCode::BAD_REQUEST, "unknown order"));
    };
    let amount = match &notification.outcome {
        NotificationOutcome::Paid(paid) => paid.amount.fen(),
        NotificationOutcome::Failed { amount, .. } => amount.fen(),
    };
    if amount != payment.amount {
        let reason = format!(
            "amount {amount} fen does not match the order's {} fen",
            payment.amount
        );
        reject(
            state,
            channel_account_id,
            &notification,
            Some(&payment.id),
            source,
            &reason,
            now,
        )
        .await?;
        return Ok(refused(StatusCode::BAD_REQUEST, "amount mismatch"));
    }
    let seen = record(
        state,
        channel_account_id,
        &notification.raw_sha256,
        Some(&payment.id),
        Some(&notification.order_no),
        source.as_str(),
        "accepted",
        "",
        &notification.raw_masked,
        now,
    )
    .await?;
    // A repeat of bytes already applied changes nothing; but if the first copy was kept and
    // its state change was lost (a crash in between), the repeat applies it.
    if seen == Seen::First || !already_reflects(&payment, &notification.outcome) {
        apply(state, &payment, &notification, source, now).await?;
    }
    let customer_url = format!("{}/pay/{}/result", state.config.public_url, payment.id);
    let (content_type, answer) = channel.notification_answer(&customer_url);
    let mut response = (StatusCode::OK, answer).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

fn already_reflects(payment: &Payment, outcome: &NotificationOutcome) -> bool {
    match outcome {
        NotificationOutcome::Paid(_) => matches!(
            payment.status,
            PaymentStatus::Succeeded | PaymentStatus::Closed
        ),
        NotificationOutcome::Failed { .. } => {
            payment.status != PaymentStatus::Created && payment.status != PaymentStatus::Pending
        }
    }
}

async fn apply(
    state: &AppState,
    payment: &Payment,
    notification: &BankNotification,
    source: EventSource,
    now: i64,
) -> Result<(), flows::FlowError> {
    let (event, paid, detail) = match &notification.outcome {
        NotificationOutcome::Paid(paid) => (PaymentEvent::BankSucceeded, Some(paid), ""),
        NotificationOutcome::Failed { reason, .. } => {
            (PaymentEvent::BankFailed, None, reason.as_str())
        }
    };
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
            now_ms: now,
        },
    )
    .await?;
    Ok(())
}

async fn reject(
    state: &AppState,
    channel_account_id: &str,
    notification: &BankNotification,
    payment_id: Option<&str>,
    source: EventSource,
    reason: &str,
    now: i64,
) -> Result<(), flows::FlowError> {
    tracing::warn!(channel_account_id, order_no = %notification.order_no, reason, "bank notification rejected");
    record(
        state,
        channel_account_id,
        &notification.raw_sha256,
        payment_id,
        Some(&notification.order_no),
        source.as_str(),
        "rejected",
        reason,
        &notification.raw_masked,
        now,
    )
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn record(
    state: &AppState,
    channel_account_id: &str,
    sha256: &str,
    payment_id: Option<&str>,
    order_no: Option<&str>,
    source: &str,
    verdict: &str,
    reason: &str,
    raw_masked: &str,
    now: i64,
) -> Result<Seen, flows::FlowError> {
    Ok(state
        .store
        .record_bank_message(&InboundMessage {
            channel_account_id,
            sha256,
            payment_id,
            order_no,
            source,
            verdict,
            reason,
            raw_masked,
            now_ms: now,
        })
        .await?)
}

fn refused(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}
