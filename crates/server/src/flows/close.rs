//! Closing a payment on request (the business system's `POST /v1/payments/{id}/close`, an
//! operator's close in the console): only an open payment closes, and only once the bank
//! confirms it unpaid, so a payment paid meanwhile ends as the success it is.

use crate::flows::{self, FlowError, payments::QueryConclusion};
use crate::state::AppState;
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentStatus;
use unipay_store::payments::Payment;

#[derive(Debug)]
pub enum CloseOutcome {
    /// Closed now, or closed before (a repeat changes nothing).
    Closed(Payment),
    /// Its state does not allow closing (paid, failed, authorized, cancelled), as it stands.
    NotClosable(Payment),
    /// The bank could not confirm it unpaid; nothing was changed.
    Unknown(String),
    /// The payment vanished or the change did not apply: a fault, not an answer.
    Lost(&'static str),
}

pub async fn close_payment(
    state: &AppState,
    payment: &Payment,
    source: EventSource,
) -> Result<CloseOutcome, FlowError> {
    match payment.status {
        PaymentStatus::Closed => return Ok(CloseOutcome::Closed(payment.clone())),
        PaymentStatus::Succeeded
        | PaymentStatus::Failed
        | PaymentStatus::Authorized
        | PaymentStatus::Cancelled => return Ok(CloseOutcome::NotClosable(payment.clone())),
        PaymentStatus::Created | PaymentStatus::Pending => {}
    }
    let outcome = match flows::payments::query_and_record(state, payment, source, true).await? {
        QueryConclusion::Applied(outcome) => match outcome.into_payment() {
            Some(after) if after.status == PaymentStatus::Closed => CloseOutcome::Closed(after),
            Some(after) => CloseOutcome::NotClosable(after),
            None => CloseOutcome::Lost("the payment vanished while closing"),
        },
        QueryConclusion::StillUnpaid => CloseOutcome::Lost("close did not apply"),
        QueryConclusion::Unknown(reason) => CloseOutcome::Unknown(reason),
    };
    Ok(outcome)
}
