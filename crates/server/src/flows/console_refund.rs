//! A refund an operator starts from a payment's console page: committed pending with its
//! amount reserved, exactly as the API's (`Store::create_refund`, the same refusals), under an
//! `out_refund_no` of its own (`console-…`, so the business system can tell it did not ask
//! for it when its `refund.*` notification arrives), then sent to the bank as the API's is.

use crate::flows::{self, FlowError};
use crate::state::AppState;
use unipay_core::refund::RefundRefusal;
use unipay_store::StoreError;
use unipay_store::payments::{Idempotent, Payment};
use unipay_store::refunds::{CreateRefund, NewRefund, PaymentRef, Refund};

/// What became of the operator's refund.
#[derive(Debug)]
pub enum ConsoleRefund {
    /// Sent; the refund as the bank's answer left it (succeeded, failed or still pending).
    Sent(Box<Refund>),
    /// Refused before anything was committed (not paid, more than is left to refund...).
    Refused(RefundRefusal),
}

pub async fn start(
    state: &AppState,
    payment: &Payment,
    amount_fen: i64,
    reason: &str,
) -> Result<ConsoleRefund, FlowError> {
    let now = state.now_ms();
    let new = NewRefund {
        app_id: payment.app_id.clone(),
        payment: PaymentRef::Id(payment.id.clone()),
        out_refund_no: format!("console-{}", unipay_core::ids::new_body(now)),
        amount: amount_fen,
        reason: Some(reason.to_string()).filter(|r| !r.is_empty()),
        notify_url: None,
        next_query_at: Some(now + state.config.janitor.resend_grace_ms),
        created_at: now,
    };
    // Without an idempotency key nothing is saved to replay, so nothing is rendered.
    let outcome = state
        .store
        .create_refund(&new, None, None, &|_| (0, String::new()))
        .await?;
    let created = match outcome {
        Idempotent::Fresh(CreateRefund::Created(refund)) => refund,
        Idempotent::Fresh(CreateRefund::Refused(refusal)) => {
            return Ok(ConsoleRefund::Refused(refusal));
        }
        other => {
            return Err(FlowError::Store(StoreError::Corrupt(format!(
                "a console refund without a key or a reused number came back as {}",
                describe(&other)
            ))));
        }
    };
    let sent = flows::refunds::send_refund(state, &created).await?;
    Ok(ConsoleRefund::Sent(Box::new(sent)))
}

fn describe(outcome: &Idempotent<CreateRefund>) -> &'static str {
    match outcome {
        Idempotent::Fresh(CreateRefund::Duplicate(_)) => "a duplicate",
        Idempotent::Fresh(_) => "fresh",
        _ => "an idempotent replay",
    }
}
