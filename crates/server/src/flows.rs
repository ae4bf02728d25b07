//! The payment flows shared by the API, the cashier, the bank callbacks and the workers: each
//! reads top to bottom as the steps of the flow, and every state change goes through
//! `Store::apply_payment_change`.

use crate::api::object::event_body;
use crate::state::AppState;
use crate::workers::notifier;
use std::sync::Arc;
use unipay_core::channel::{
    BankPaymentState, Channel, ChannelError, PaymentRedirect, PaymentRequest,
};
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentEvent;
use unipay_store::StoreError;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{ApplyOutcome, Payment, PaymentChange, PaymentNote};

#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error("channel account {0} is not usable: {1}")]
    ChannelSetup(String, String),
}

/// Applies a change. A business notification it writes is delivered at once by this node (held
/// from other notifiers by a lease, which any notifier takes over if this node dies) and is
/// therefore taken out of the returned outcome.
pub async fn apply(
    state: &AppState,
    change: &PaymentChange<'_>,
) -> Result<ApplyOutcome, StoreError> {
    let public_url = state.config.public_url.as_str();
    let render = |payment: &Payment, event_id: &str, event_type: &str, now_ms: i64| {
        event_body(payment, event_id, event_type, now_ms, public_url)
    };
    let at_once = state.config.notifier.deliver_at_once;
    let change = PaymentChange {
        delivery_lease_ms: if at_once {
            state.config.notifier.lease_ms
        } else {
            0
        },
        ..*change
    };
    let mut outcome = state.store.apply_payment_change(&change, &render).await?;
    match &mut outcome {
        ApplyOutcome::Changed { payment, event } => {
            state.metrics.payment_reached(payment.status.as_str());
            // Handed to the delivery task rather than copied: the caller has no use for it.
            if let Some(event) = event.take()
                && at_once
            {
                notifier::deliver_now(state, *event);
            }
        }
        ApplyOutcome::LateSuccess(payment) => {
            tracing::warn!(payment_id = %payment.id, "late success for a closed payment recorded as an anomaly");
        }
        _ => {}
    }
    Ok(outcome)
}

pub async fn channel_for(
    state: &AppState,
    payment: &Payment,
) -> Result<Arc<dyn Channel>, FlowError> {
    state
        .channels
        .get(&state.store, &payment.channel_account_id)
        .await
        .map_err(|e| FlowError::ChannelSetup(payment.channel_account_id.clone(), e.to_string()))?
        .ok_or_else(|| {
            FlowError::ChannelSetup(payment.channel_account_id.clone(), "missing".into())
        })
}

/// The cashier's step: mark the payment as sent (committed before the bank is called, so
/// that the janitor asks about it whatever happens next), then ask the bank for its page.
pub async fn start_bank_payment(
    state: &AppState,
    payment: &Payment,
    payment_type: &str,
    buyer_ip: Option<String>,
) -> Result<PaymentRedirect, FlowError> {
    let channel = channel_for(state, payment).await?;
    let now = state.now_ms();
    let first_query_at =
        state
            .config
            .janitor
            .query_schedule_ms
            .next_query_at(now, 0, payment.expires_at.max(now));
    apply(
        state,
        &PaymentChange {
            payment_id: &payment.id,
            event: PaymentEvent::RequestSent,
            source: EventSource::Cashier,
            paid: None,
            payment_type: Some(payment_type),
            next_query_at: Some(first_query_at),
            detail: payment_type,
            raw_sha256: None,
            message: None,
            delivery_lease_ms: 0,
            known: Some(payment),
            now_ms: now,
        },
    )
    .await?;
    let request = PaymentRequest {
        order_no: payment.order_no.clone(),
        amount: payment.amount,
        currency: unipay_core::Currency::Cny,
        subject: payment.subject.clone(),
        payment_type: payment_type.to_string(),
        result_notify_url: format!(
            "{}/callbacks/{}",
            state.config.public_url, payment.channel_account_id
        ),
        created_at_ms: payment.created_at,
        expires_at_ms: payment.expires_at,
        buyer_ip,
        capture: match payment.capture {
            unipay_core::payment::CaptureMode::Immediate => {
                unipay_core::channel::CaptureMode::Immediate
            }
            unipay_core::payment::CaptureMode::Manual => unipay_core::channel::CaptureMode::Manual,
        },
    };
    crate::crash::crash_point("payment.after_commit_before_bank_call");
    Ok(channel.request_payment(&request).await?)
}

/// What a query concluded, for the caller to act on.
#[derive(Debug)]
pub enum QueryConclusion {
    Applied(Box<ApplyOutcome>),
    /// The bank says unpaid; the payment stays open (not expired, no close requested).
    StillUnpaid,
    /// The bank could not tell, or could not be asked.
    Unknown(String),
}

/// Asks the bank about a payment and records what it says. `close_if_unpaid` closes the
/// payment when the bank confirms it unpaid (expiry, or a close requested by the business).
pub async fn query_and_record(
    state: &AppState,
    payment: &Payment,
    source: EventSource,
    close_if_unpaid: bool,
) -> Result<QueryConclusion, FlowError> {
    let channel = channel_for(state, payment).await?;
    let answer = channel.query_payment(&payment.order_no).await;
    let now = state.now_ms();
    let (bank_state, raw) = match answer {
        Ok(answer) => (Ok(answer.state), Some(answer.raw)),
        Err(error) => (Err(error), None),
    };
    // The answer is kept (masked) in the same transaction as whatever it changes.
    let message = raw.as_ref().map(|raw| InboundMessage {
        channel_account_id: &payment.channel_account_id,
        sha256: &raw.sha256,
        payment_id: Some(&payment.id),
        order_no: Some(&payment.order_no),
        source: "query",
        verdict: "accepted",
        reason: "",
        raw_masked: &raw.masked,
        now_ms: now,
    });
    let base = PaymentChange {
        payment_id: &payment.id,
        event: PaymentEvent::BankSucceeded,
        source,
        paid: None,
        payment_type: None,
        next_query_at: None,
        detail: "",
        raw_sha256: message.as_ref().map(|m| m.sha256),
        message: message.as_ref(),
        delivery_lease_ms: 0,
        known: Some(payment),
        now_ms: now,
    };
    let note = |kind, detail| PaymentNote {
        payment_id: &payment.id,
        kind,
        source,
        detail,
        message: message.as_ref(),
        now_ms: now,
    };
    let conclusion = match bank_state {
        Ok(BankPaymentState::Paid(paid)) if paid.amount != payment.amount => {
            let detail = format!(
                "bank reports {} fen paid, the order is {} fen: not believed",
                paid.amount.fen(),
                payment.amount.fen()
            );
            tracing::warn!(payment_id = %payment.id, %detail);
            state
                .store
                .record_payment_note(&note("amount_mismatch", &detail))
                .await?;
            QueryConclusion::Unknown(detail)
        }
        Ok(BankPaymentState::Paid(paid)) => {
            let change = PaymentChange {
                paid: Some(&paid),
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Authorized(paid)) if paid.amount == payment.amount => {
            let change = PaymentChange {
                event: PaymentEvent::BankAuthorized,
                paid: Some(&paid),
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Captured(paid)) if paid.amount <= payment.amount => {
            let change = PaymentChange {
                event: PaymentEvent::Captured {
                    amount: paid.amount,
                },
                paid: Some(&paid),
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Authorized(paid) | BankPaymentState::Captured(paid)) => {
            let detail = format!(
                "bank reports {} fen authorized or captured, the order is {} fen: not believed",
                paid.amount.fen(),
                payment.amount.fen()
            );
            tracing::warn!(payment_id = %payment.id, %detail);
            state
                .store
                .record_payment_note(&note("amount_mismatch", &detail))
                .await?;
            QueryConclusion::Unknown(detail)
        }
        Ok(BankPaymentState::Cancelled) => {
            let change = PaymentChange {
                event: PaymentEvent::CancelConfirmed,
                detail: "bank reports the authorization released",
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Failed { reason }) => {
            let change = PaymentChange {
                event: PaymentEvent::BankFailed,
                detail: &reason,
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Unpaid) if close_if_unpaid => {
            let change = PaymentChange {
                event: PaymentEvent::ConfirmedUnpaidClose,
                detail: "bank confirms unpaid",
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Unpaid) => {
            if let Some(message) = &message {
                state.store.record_bank_message(message).await?;
            }
            QueryConclusion::StillUnpaid
        }
        Ok(BankPaymentState::Unknown { reason }) => {
            state
                .store
                .record_payment_note(&note("query_unknown", &reason))
                .await?;
            QueryConclusion::Unknown(reason)
        }
        Err(error) => {
            let reason = error.to_string();
            state
                .store
                .record_payment_note(&note("query_failed", &reason))
                .await?;
            QueryConclusion::Unknown(reason)
        }
    };
    Ok(conclusion)
}
