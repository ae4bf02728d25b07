//! The refund flows shared by the API and the janitor: send a committed refund to the bank,
//! ask the bank about a refund whose outcome is unknown (sending it when the bank has none),
//! and record what it says. Every state
//! change goes through `Store::apply_refund_change`; bank calls happen after commits, never
//! inside a transaction.

use crate::flows::objects::refund::refund_event_body;
use crate::flows::{self, FlowError, delivery};
use crate::state::AppState;
use unipay_core::Amount;
use unipay_core::channel::{
    BankRefundState, ChannelError, RefundAnswer, RefundRequest, RefundedPayment,
};
use unipay_core::event::EventSource;
use unipay_core::payment::CaptureMode;
use unipay_core::refund::RefundEvent;
use unipay_store::StoreError;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::Payment;
use unipay_store::refunds::{Refund, RefundChange, RefundOutcome};

/// Applies a refund change; a notification it writes is delivered at once by this node (held
/// from other notifiers by a lease, which any notifier takes over if this node dies).
pub async fn apply(
    state: &AppState,
    change: &RefundChange<'_>,
) -> Result<RefundOutcome, StoreError> {
    let change = RefundChange {
        delivery_lease_ms: delivery::lease_ms(state),
        ..*change
    };
    let mut outcome = state
        .store
        .apply_refund_change(&change, &refund_event_body)
        .await?;
    match &mut outcome {
        RefundOutcome::Changed { event, .. } => delivery::hand_over(state, event.take()),
        RefundOutcome::Rejected(refund) => {
            tracing::warn!(refund_id = %refund.id, "bank answer contradicts a final refund; recorded");
        }
        _ => {}
    }
    Ok(outcome)
}

/// Sends a pending refund (already committed) to the bank and records the answer. An unknown
/// outcome leaves it pending with the janitor's first query scheduled.
pub async fn send_refund(state: &AppState, refund: &Refund) -> Result<Refund, FlowError> {
    send(state, refund, EventSource::Api).await
}

/// [`send_refund`] of a refund just created, with its payment as the creation left it
/// (`Store::create_refund_with_payment`), which is then not read again.
pub async fn send_created_refund(
    state: &AppState,
    refund: &Refund,
    payment: &Payment,
) -> Result<Refund, FlowError> {
    send_for(state, refund, payment, EventSource::Api).await
}

/// [`send_refund`] on behalf of `source`.
pub(crate) async fn send(
    state: &AppState,
    refund: &Refund,
    source: EventSource,
) -> Result<Refund, FlowError> {
    let payment = state
        .store
        .get_payment(&refund.payment_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("refund {} has no payment", refund.id)))?;
    send_for(state, refund, &payment, source).await
}

/// Sends `refund` of `payment` (only what the bank names the payment by is read of it, none of
/// which changes once the payment succeeded) and records the answer.
async fn send_for(
    state: &AppState,
    refund: &Refund,
    payment: &Payment,
    source: EventSource,
) -> Result<Refund, FlowError> {
    let channel = flows::channel(state, &refund.channel_account_id).await?;
    let request = RefundRequest {
        order_no: payment.order_no.clone(),
        payment: refunded_payment(payment)?,
        refund_no: refund.refund_no.clone(),
        amount: refund.amount,
        reason: refund.reason.clone().unwrap_or_default(),
        created_at_ms: refund.created_at,
        result_notify_url: format!(
            "{}/callbacks/{}",
            state.config.public_url, refund.channel_account_id
        ),
    };
    let answer = channel.refund(&request).await;
    // The bank may have refunded already: what is committed is only the pending refund, which
    // the janitor's query must settle without sending it a second time.
    crate::crash::crash_point("refund.after_bank_answer_before_commit");
    record_answer(state, refund, answer, source, "refund").await
}

/// The payment as the bank booked it, for the bank to name the original by.
fn refunded_payment(payment: &Payment) -> Result<RefundedPayment, FlowError> {
    let collected = Amount::from_fen(payment.collected_amount()).map_err(|_| {
        StoreError::Corrupt(format!(
            "payment {} collected nothing to refund",
            payment.id
        ))
    })?;
    Ok(RefundedPayment {
        channel_trade_no: payment.channel_trade_no.clone(),
        collected,
        accounting_date: payment.accounting_date.clone(),
        captured_preauth: payment.capture == CaptureMode::Manual,
    })
}

/// Asks the bank about a pending refund and records what it says. A refund the bank does not
/// know is sent now: the business system was told it was accepted, and the bank may never
/// have received it (this node died before sending, or the request was lost on the way). The
/// same number and amount go again, so a bank that did get it answers with its first answer.
pub async fn query_and_record(state: &AppState, refund: &Refund) -> Result<Refund, FlowError> {
    let channel = flows::channel(state, &refund.channel_account_id).await?;
    let answer = channel
        .query_refund(&refund.refund_no, refund.created_at)
        .await;
    let not_found = matches!(
        &answer,
        Ok(RefundAnswer {
            state: BankRefundState::NotFound { .. },
            ..
        })
    );
    let after = record_answer(state, refund, answer, EventSource::Query, "refund_query").await?;
    if !not_found || !may_send_again(&after) {
        return Ok(after);
    }
    tracing::info!(refund_id = %after.id, refund_no = %after.refund_no,
        "the bank has no such refund; sending it");
    send(state, &after, EventSource::Query).await
}

/// The result of a refund the bank notified (verified, amount checked by the caller).
pub struct NotifiedRefund<'a> {
    pub succeeded: bool,
    /// The bank's serial for the refund and its accounting date (for a success).
    pub channel_refund_no: &'a str,
    pub accounting_date: &'a str,
    /// The bank's reason (for a failure).
    pub reason: &'a str,
}

/// Records the result the bank notified for a refund: the same one change a query's answer
/// makes, the message kept in its transaction, so a repeat (the same bytes, or the query that
/// finds it after) changes nothing.
pub async fn record_notified(
    state: &AppState,
    refund: &Refund,
    result: &NotifiedRefund<'_>,
    source: EventSource,
    message: &InboundMessage<'_>,
) -> Result<RefundOutcome, FlowError> {
    let change = RefundChange {
        refund_id: &refund.id,
        event: if result.succeeded {
            RefundEvent::BankSucceeded
        } else {
            RefundEvent::BankFailed
        },
        source,
        channel_refund_no: (result.succeeded && !result.channel_refund_no.is_empty())
            .then_some(result.channel_refund_no),
        accounting_date: (result.succeeded && !result.accounting_date.is_empty())
            .then_some(result.accounting_date),
        next_query_at: None,
        detail: result.reason,
        message: Some(message),
        delivery_lease_ms: 0,
        known: Some(refund),
        now_ms: state.now_ms(),
    };
    Ok(apply(state, &change).await?)
}

/// A batch line is the batch's to send, and a refund settled meanwhile needs nothing.
fn may_send_again(refund: &Refund) -> bool {
    refund.batch_id.is_none() && !refund.status.is_final()
}

/// When the janitor asks next about a refund still unknown after `queries_made` queries.
pub fn next_query_at(state: &AppState, queries_made: i64) -> i64 {
    // An expiry in the past leaves the schedule uncapped: a refund never expires.
    state
        .config
        .janitor
        .query_schedule_ms
        .next_query_at(state.now_ms(), queries_made, 0)
}

async fn record_answer(
    state: &AppState,
    refund: &Refund,
    answer: Result<RefundAnswer, ChannelError>,
    source: EventSource,
    message_source: &str,
) -> Result<Refund, FlowError> {
    let now = state.now_ms();
    let (bank_state, raw) = match answer {
        Ok(answer) => (Ok(answer.state), Some(answer.raw)),
        Err(error) => (Err(error), None),
    };
    let message = raw.as_ref().map(|raw| InboundMessage {
        channel_account_id: &refund.channel_account_id,
        sha256: &raw.sha256,
        payment_id: Some(&refund.payment_id),
        order_no: Some(&refund.refund_no),
        source: message_source,
        verdict: "accepted",
        reason: "",
        raw_masked: &raw.masked,
        now_ms: now,
    });
    let next = next_query_at(state, refund.query_attempts + 1);
    let base = RefundChange {
        refund_id: &refund.id,
        event: RefundEvent::BankPending,
        source,
        channel_refund_no: None,
        accounting_date: None,
        next_query_at: Some(next),
        detail: "",
        message: message.as_ref(),
        delivery_lease_ms: 0,
        known: Some(refund),
        now_ms: now,
    };
    let detail;
    let change = match &bank_state {
        Ok(BankRefundState::Succeeded(done)) => RefundChange {
            event: RefundEvent::BankSucceeded,
            channel_refund_no: Some(&done.channel_refund_no),
            accounting_date: Some(&done.accounting_date),
            next_query_at: None,
            ..base
        },
        Ok(BankRefundState::Failed { code, reason }) => {
            detail = format!("{code}: {reason}");
            RefundChange {
                event: RefundEvent::BankFailed,
                next_query_at: None,
                detail: &detail,
                ..base
            }
        }
        // Taken in is not done: the refund stays pending until the bank's result is known.
        Ok(BankRefundState::Unknown { reason } | BankRefundState::Accepted { reason }) => {
            RefundChange {
                detail: reason,
                ..base
            }
        }
        // Still pending: it is about to be sent, and like a new refund it waits before the
        // next query, so that the query does not overtake it.
        Ok(BankRefundState::NotFound { code, reason }) => {
            detail = format!("{code}: {reason}");
            RefundChange {
                detail: &detail,
                next_query_at: Some(now.saturating_add(state.config.janitor.resend_grace_ms)),
                ..base
            }
        }
        // No answer to believe: whether the bank has the refund is unknown, so it stays
        // pending and the janitor asks (a refund the bank never got is then sent again).
        Err(error) => {
            detail = error.to_string();
            tracing::warn!(refund_id = %refund.id, %detail, "refund outcome unknown");
            RefundChange {
                detail: &detail,
                ..base
            }
        }
    };
    let outcome = apply(state, &change).await?;
    Ok(match outcome.into_refund() {
        Some(after) => after,
        None => refund.clone(),
    })
}
