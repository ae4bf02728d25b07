//! A capture or cancel the bank carried out, applied to its hold: the one change its answer,
//! its query and its back notification all make, so it happens once whichever comes first;
//! and what a notification of one must show to be believed. Apart from `flows::preauth` so the
//! notification's path does not lead back through the payment's query.

use crate::flows::{self, FlowError};
use crate::state::AppState;
use sha2::{Digest, Sha256};
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, PreAuthOperation};
use unipay_core::event::EventSource;
use unipay_core::payment::{MAX_CAPTURE_PERCENT, PaymentEvent, capture_ceiling};
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{Payment, PaymentChange};

/// The operation's own number at the bank, the same for every retry of the same operation on
/// the same payment: the bank answers a repeat with its first answer instead of acting twice.
pub fn operation_no(payment: &Payment, operation: &PreAuthOperation) -> String {
    let kind = match operation {
        PreAuthOperation::Confirm { .. } => "confirm",
        PreAuthOperation::Cancel { .. } => "cancel",
    };
    let digest = Sha256::digest(format!("{}:{kind}", payment.order_no).as_bytes());
    // 22 lowercase hex characters, the shape of our other bank numbers.
    hex::encode(digest).chars().take(22).collect()
}

/// An operation the bank carried out, as its answer, its query or its notification said.
pub struct Done<'a> {
    pub cancel: bool,
    pub paid: &'a BankPaid,
    pub operation_no: &'a str,
    pub source: EventSource,
}

/// Moves the hold to captured or cancelled, `message` (the bank's word) kept in the same
/// transaction. A repeat of what was applied changes nothing: the operation applies once
/// whichever of its answer, its query or its notification comes first.
pub async fn apply_done(
    state: &AppState,
    payment: &Payment,
    done: &Done<'_>,
    message: &InboundMessage<'_>,
) -> Result<(), FlowError> {
    let event = if done.cancel {
        PaymentEvent::CancelConfirmed
    } else {
        PaymentEvent::Captured {
            amount: done.paid.amount,
        }
    };
    let change = PaymentChange {
        payment_id: &payment.id,
        event,
        source: done.source,
        paid: (!done.cancel).then_some(done.paid),
        payment_type: None,
        next_query_at: None,
        detail: done.operation_no,
        raw_sha256: Some(message.sha256),
        message: Some(message),
        delivery_lease_ms: 0,
        known: Some(payment),
        now_ms: message.now_ms,
    };
    flows::apply(state, &change).await?;
    Ok(())
}

/// Why a notified capture or cancel is not believed for `payment`: its number is not this
/// hold's, or its amount is not one the hold allows.
pub fn notified_disagreement(
    payment: &Payment,
    notified_no: &str,
    cancel: bool,
    amount: Amount,
) -> Option<String> {
    let held = payment.amount;
    let operation = if cancel {
        PreAuthOperation::Cancel { amount: held }
    } else {
        PreAuthOperation::Confirm { amount }
    };
    if operation_no(payment, &operation) != notified_no {
        return Some(format!(
            "operation {notified_no} is not this pre-authorization's: not believed"
        ));
    }
    let allowed = if cancel {
        amount == held
    } else {
        amount.fen() <= capture_ceiling(held.fen(), MAX_CAPTURE_PERCENT)
    };
    (!allowed).then(|| {
        format!(
            "amount {} fen notified for a hold of {} fen: not believed",
            amount.fen(),
            held.fen()
        )
    })
}
