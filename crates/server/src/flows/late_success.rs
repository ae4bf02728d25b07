//! An operator's decision on a late success (the bank took money for a payment we had closed):
//! accept the money, or give it back. Both record the payment with the bank's figures and tell
//! the business system `payment.late_succeeded`; giving it back also makes a full refund in the
//! same transaction and sends it to the bank at once (the janitor asks about it if the answer
//! is lost).

use crate::flows::objects::payment::event_body;
use crate::flows::{FlowError, delivery, refunds};
use crate::state::AppState;
use unipay_core::event::EventSource;
use unipay_store::payments::Payment;
use unipay_store::payments::late_success::{DecideLate, LateDecision, LateOutcome, refund_of};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Accept,
    Refund,
}

/// Who decides, and why.
pub struct Decider<'a> {
    pub actor: &'a str,
    pub from_address: &'a str,
    pub note: &'a str,
}

pub async fn decide(
    state: &AppState,
    payment: &Payment,
    decision: Decision,
    by: &Decider<'_>,
) -> Result<LateOutcome, FlowError> {
    let now = state.now_ms();
    let decision = match decision {
        Decision::Accept => LateDecision::Accept,
        // One refund per payment's late success: the number says what it is for, and a retry
        // finds the same refund.
        Decision::Refund => LateDecision::Refund(refund_of(
            payment,
            format!("late-{}", payment.id),
            now,
            now + state.config.janitor.resend_grace_ms,
        )),
    };
    let public_url = state.config.public_url.as_str();
    let render = |payment: &Payment, event_id: &str, event_type: &str, now_ms: i64| {
        event_body(payment, event_id, event_type, now_ms, public_url)
    };
    let mut outcome = state
        .store
        .decide_late_success(&DecideLate {
            payment_id: &payment.id,
            decision,
            actor: by.actor,
            from_address: by.from_address,
            note: by.note,
            render: &render,
            delivery_lease_ms: delivery::lease_ms(state),
            now_ms: now,
        })
        .await?;
    if let LateOutcome::Decided { event, refund, .. } = &mut outcome {
        delivery::hand_over(state, event.take());
        if let Some(refund) = refund.as_deref() {
            // An error here leaves the refund pending for the janitor, as the API's does.
            if let Err(error) = refunds::send(state, refund, EventSource::Console).await {
                tracing::warn!(%error, refund_id = %refund.id, "late success refund not sent yet");
            }
        }
    }
    Ok(outcome)
}
