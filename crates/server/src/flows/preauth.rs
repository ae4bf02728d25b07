//! Capturing and cancelling a pre-authorization: `PreAuthCancelConfirm` after the checks,
//! then the bank's word applied through `Store::apply_payment_change`. An answer that is not
//! "done" (refused, unknown, no answer) is settled by querying the original order, so a
//! repeat, a race with another capture or cancel, or a lost answer all end in the state the
//! bank holds.

use crate::flows::{self, FlowError, channel_for, payments::QueryConclusion};
use sha2::{Digest, Sha256};
use unipay_core::Amount;
use unipay_core::channel::{BankPreAuthState, PreAuthOperation};
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentEvent;
use unipay_store::StoreError;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{Payment, PaymentChange};

use crate::state::AppState;

/// How many times an operation whose answer was lost is sent (same number) before the order
/// is queried instead.
const OPERATION_ATTEMPTS: u32 = 3;

/// What a capture or cancel came to at the bank.
#[derive(Debug)]
pub enum PreAuthConclusion {
    /// The payment as the bank's answer (or a query after it) left it.
    Settled(Box<Payment>),
    /// The bank refused and a query found the authorization unchanged.
    Refused(String),
    /// Neither the answer nor a query could tell.
    Unknown(String),
}

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

/// Sends the operation for an authorized payment and records what the bank says.
pub async fn operate(
    state: &AppState,
    payment: &Payment,
    operation: PreAuthOperation,
) -> Result<PreAuthConclusion, FlowError> {
    let channel = channel_for(state, payment).await?;
    let number = operation_no(payment, &operation);
    let mut attempts = 0;
    let (refusal, reason) = loop {
        attempts += 1;
        let answer = channel
            .preauth(&payment.order_no, &number, &operation)
            .await;
        let now = state.now_ms();
        let (refusal, reason) = match answer {
            Ok(answer) => match answer.state {
                BankPreAuthState::Done(paid) => {
                    // The answer is kept (masked) in the same transaction as the change it causes.
                    let message = InboundMessage {
                        channel_account_id: &payment.channel_account_id,
                        sha256: &answer.raw.sha256,
                        payment_id: Some(&payment.id),
                        order_no: Some(&payment.order_no),
                        source: "preauth",
                        verdict: "accepted",
                        reason: "",
                        raw_masked: &answer.raw.masked,
                        now_ms: now,
                    };
                    let event = match operation {
                        PreAuthOperation::Confirm { .. } => PaymentEvent::Captured {
                            amount: paid.amount,
                        },
                        PreAuthOperation::Cancel { .. } => PaymentEvent::CancelConfirmed,
                    };
                    let change = PaymentChange {
                        payment_id: &payment.id,
                        event,
                        source: EventSource::Api,
                        paid: matches!(operation, PreAuthOperation::Confirm { .. })
                            .then_some(&paid),
                        payment_type: None,
                        next_query_at: None,
                        detail: &number,
                        raw_sha256: Some(&answer.raw.sha256),
                        message: Some(&message),
                        delivery_lease_ms: 0,
                        known: Some(payment),
                        now_ms: now,
                    };
                    flows::apply(state, &change).await?;
                    return Ok(PreAuthConclusion::Settled(Box::new(
                        current(state, payment).await?,
                    )));
                }
                BankPreAuthState::Refused { code, reason } => (true, format!("{code}: {reason}")),
                // Taken in is not done: the query below finds what the bank made of it.
                BankPreAuthState::Accepted { reason } => break (false, reason),
                BankPreAuthState::Unknown { reason } => (false, reason),
            },
            Err(error) => (false, error.to_string()),
        };
        // A lost answer is asked for again with the same operation number: the bank answers a
        // repeat with its first answer, which names the amount it confirmed. A query of the
        // order could not: it shows the authorization's amount.
        if refusal || attempts >= OPERATION_ATTEMPTS {
            break (refusal, reason);
        }
        tracing::info!(payment_id = %payment.id, %reason, "pre-authorization answer lost; asking again");
    };
    tracing::info!(payment_id = %payment.id, %reason, "pre-authorization operation not done; querying");
    let conclusion =
        flows::payments::query_and_record(state, payment, EventSource::Api, false).await?;
    let after = current(state, payment).await?;
    Ok(match conclusion {
        QueryConclusion::Applied(_) => PreAuthConclusion::Settled(Box::new(after)),
        _ if after.status != payment.status => PreAuthConclusion::Settled(Box::new(after)),
        _ if refusal => PreAuthConclusion::Refused(reason),
        _ => PreAuthConclusion::Unknown(reason),
    })
}

async fn current(state: &AppState, payment: &Payment) -> Result<Payment, FlowError> {
    Ok(state
        .store
        .get_payment(&payment.id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("payment {} vanished", payment.id)))?)
}

/// The amount to capture: what was asked, else everything authorized.
pub fn capture_amount(payment: &Payment, asked: Option<i64>) -> Result<Amount, i64> {
    let fen = asked.unwrap_or(payment.amount.fen());
    Amount::from_fen(fen).map_err(|_| fen)
}
