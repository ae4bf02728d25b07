//! Capturing and cancelling a pre-authorization: `PreAuthCancelConfirm` after the checks (a
//! capture within the channel's window after the hold, `Channel::capture_window_days`), then the bank's word applied through `Store::apply_payment_change`. An answer that is not
//! "done" (refused, unknown, no answer) is settled by querying: the operation itself where the
//! bank has such a query (UnionPay, whose back transactions are only taken in, and whose hold
//! still reads as authorised after a completion), else the original order (ABC). So a repeat, a
//! race with another capture or cancel, or a lost answer all end in the state the bank holds.

use crate::flows::preauth_result::{Done, apply_done, operation_no};
use crate::flows::{self, FlowError, channel_for, payments::QueryConclusion};
use unipay_core::Amount;
use unipay_core::capture_window::capture_window_passed;
use unipay_core::channel::{BankPreAuthState, PreAuthAnswer, PreAuthOperation, PreAuthRequest};
use unipay_core::event::EventSource;
use unipay_core::payment::{MAX_CAPTURE_PERCENT, capture_ceiling};
use unipay_store::StoreError;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::Payment;

use crate::state::AppState;

/// How many times an operation whose answer was lost is sent (same number) before the order
/// is queried instead.
const OPERATION_ATTEMPTS: u32 = 3;

/// How many times an operation the bank took in is asked after: a back transaction is carried
/// out moments after it is taken in.
const OPERATION_QUERIES: u32 = 4;

/// The pause before the second of those queries, doubled before each next one.
const FIRST_QUERY_PAUSE_MS: u64 = 200;

/// What a capture or cancel came to at the bank.
#[derive(Debug)]
pub enum PreAuthConclusion {
    /// The payment as the bank's answer (or a query after it) left it.
    Settled(Box<Payment>),
    /// The bank refused and a query found the authorization unchanged.
    Refused(String),
    /// Neither the answer nor a query could tell.
    Unknown(String),
    /// A capture past the channel's window after the hold (`days`): the bank would refuse it,
    /// so it was not asked and nothing changed.
    CaptureWindowClosed { days: u32 },
}

/// Sends the operation for an authorized payment and records what the bank says.
pub async fn operate(
    state: &AppState,
    payment: &Payment,
    operation: PreAuthOperation,
) -> Result<PreAuthConclusion, FlowError> {
    let channel = channel_for(state, payment).await?;
    if let PreAuthOperation::Confirm { .. } = operation
        && let Some(days) = channel.capture_window_days()
        // The hold's order time, which UnionPay's pre-authorisation carries as its `txnTime`
        // and counts the window from, is the payment's creation.
        && capture_window_passed(payment.created_at, state.now_ms(), days)
    {
        return Ok(PreAuthConclusion::CaptureWindowClosed { days });
    }
    let request = PreAuthRequest {
        original_order_no: payment.order_no.clone(),
        original_trade_no: payment.channel_trade_no.clone().filter(|no| !no.is_empty()),
        operation_no: operation_no(payment, &operation),
        operation,
        // Every attempt of this call names the operation by the same time, so a repeat is
        // answered as a repeat and the operation's query finds it.
        operation_time_ms: state.now_ms(),
        result_notify_url: format!(
            "{}/callbacks/{}",
            state.config.public_url, payment.channel_account_id
        ),
    };
    let mut attempts = 0;
    let (refusal, reason) = loop {
        attempts += 1;
        let answer = channel.preauth(&request).await;
        let (refusal, reason) = match answer {
            Ok(answer) => match answer.state {
                BankPreAuthState::Done(_) => {
                    return record_done(state, payment, &request, answer).await;
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
    if let Some(conclusion) = query_operation(state, payment, &request, refusal, &reason).await? {
        return Ok(conclusion);
    }
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

/// Asks the bank after the operation itself, a few times while it is still being carried out.
/// `None` when the bank has no such query: the original order's query tells instead.
async fn query_operation(
    state: &AppState,
    payment: &Payment,
    request: &PreAuthRequest,
    refusal: bool,
    reason: &str,
) -> Result<Option<PreAuthConclusion>, FlowError> {
    let channel = channel_for(state, payment).await?;
    let mut pause_ms = FIRST_QUERY_PAUSE_MS;
    let mut last = reason.to_string();
    for asked in 0..OPERATION_QUERIES {
        if asked > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(pause_ms)).await;
            pause_ms *= 2;
        }
        let answer = match channel.query_preauth(request).await {
            Ok(None) => return Ok(None),
            Ok(Some(answer)) => answer,
            Err(error) => {
                last = error.to_string();
                continue;
            }
        };
        match answer.state {
            BankPreAuthState::Done(_) => {
                return record_done(state, payment, request, answer).await.map(Some);
            }
            // The bank has no such operation, or failed it: the hold stands as it was.
            BankPreAuthState::Refused { code, reason } => {
                return Ok(Some(PreAuthConclusion::Refused(format!(
                    "{code}: {reason}"
                ))));
            }
            BankPreAuthState::Accepted { reason } | BankPreAuthState::Unknown { reason } => {
                last = reason;
            }
        }
    }
    let after = current(state, payment).await?;
    Ok(Some(if after.status != payment.status {
        // Its result arrived another way meanwhile (the bank's notification, another call).
        PreAuthConclusion::Settled(Box::new(after))
    } else if refusal {
        PreAuthConclusion::Refused(last)
    } else {
        PreAuthConclusion::Unknown(last)
    }))
}

/// Applies an operation the bank carried out: the answer is kept (masked) in the same
/// transaction as the change it causes.
async fn record_done(
    state: &AppState,
    payment: &Payment,
    request: &PreAuthRequest,
    answer: PreAuthAnswer,
) -> Result<PreAuthConclusion, FlowError> {
    let BankPreAuthState::Done(paid) = &answer.state else {
        return Err(StoreError::Corrupt("an operation recorded as done was not".into()).into());
    };
    let message = InboundMessage {
        channel_account_id: &payment.channel_account_id,
        sha256: &answer.raw.sha256,
        payment_id: Some(&payment.id),
        order_no: Some(&payment.order_no),
        source: "preauth",
        verdict: "accepted",
        reason: "",
        raw_masked: &answer.raw.masked,
        now_ms: state.now_ms(),
    };
    let cancel = matches!(request.operation, PreAuthOperation::Cancel { .. });
    let done = Done {
        cancel,
        paid,
        operation_no: &request.operation_no,
        source: EventSource::Api,
    };
    apply_done(state, payment, &done, &message).await?;
    Ok(PreAuthConclusion::Settled(Box::new(
        current(state, payment).await?,
    )))
}

async fn current(state: &AppState, payment: &Payment) -> Result<Payment, FlowError> {
    Ok(state
        .store
        .get_payment(&payment.id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("payment {} vanished", payment.id)))?)
}

/// The most a capture of `payment` may take through its channel.
pub async fn capture_limit(state: &AppState, payment: &Payment) -> Result<i64, FlowError> {
    let channel = channel_for(state, payment).await?;
    let percent = channel.capture_limit_percent().min(MAX_CAPTURE_PERCENT);
    Ok(capture_ceiling(payment.amount.fen(), percent))
}

/// The amount to capture: what was asked, else everything authorized.
pub fn capture_amount(payment: &Payment, asked: Option<i64>) -> Result<Amount, i64> {
    let fen = asked.unwrap_or(payment.amount.fen());
    Amount::from_fen(fen).map_err(|_| fen)
}
