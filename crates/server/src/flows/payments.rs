//! The payment flows shared by the API, the cashier, the bank callbacks and the workers: each
//! reads top to bottom as the steps of the flow, and every state change goes through
//! `Store::apply_payment_change` (by `flows::apply`).

use crate::flows::bank_result::record_bank_result;
use crate::flows::{FlowError, apply, channel_for};
use crate::state::AppState;
use unipay_core::channel::{
    BankPaymentState, ChannelError, PaymentRedirect, PaymentRequest, QueryAnswer,
};
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentEvent;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{Payment, PaymentChange};

/// The cashier's step: mark the payment as sent (committed before the bank is called, so
/// that the janitor asks about it whatever happens next), then ask the bank for its page.
/// The bank asked is the one the row names as it is marked: a choice of bank the consumer
/// made meanwhile in another tab is what the bank gets, and after it no choice is taken.
pub async fn start_bank_payment(
    state: &AppState,
    payment: &Payment,
    payment_type: &str,
    buyer_ip: Option<String>,
) -> Result<PaymentRedirect, FlowError> {
    let now = state.now_ms();
    let first_query_at =
        state
            .config
            .janitor
            .query_schedule_ms
            .next_query_at(now, 0, payment.expires_at.max(now));
    let sent = apply(
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
    .await?
    .into_payment();
    let payment = sent.as_ref().unwrap_or(payment);
    let channel = channel_for(state, payment).await?;
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

pub use crate::flows::bank_result::QueryConclusion;

/// Asks the bank about a payment and records what it says. `close_if_unpaid` closes the
/// payment when the bank confirms it unpaid (expiry, or a close requested by the business).
pub async fn query_and_record(
    state: &AppState,
    payment: &Payment,
    source: EventSource,
    close_if_unpaid: bool,
) -> Result<QueryConclusion, FlowError> {
    query_with_answer(state, payment, source, close_if_unpaid)
        .await
        .map(|(conclusion, _)| conclusion)
}

/// What the bank answered a query, for a person to read: `answer` is one of `paid`,
/// `authorized`, `cancelled`, `unpaid`, `failed`, `unknown` or `unreachable` (the bank could
/// not be asked), `code` the bank's own code, `reason` its words or the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAnswer {
    pub answer: &'static str,
    pub code: String,
    pub reason: String,
}

impl BankAnswer {
    fn of(answer: &Result<QueryAnswer, ChannelError>) -> BankAnswer {
        let (word, reason) = match answer.as_ref().map(|a| &a.state) {
            Ok(BankPaymentState::Paid(_) | BankPaymentState::Captured(_)) => {
                ("paid", String::new())
            }
            Ok(BankPaymentState::Authorized(_)) => ("authorized", String::new()),
            Ok(BankPaymentState::Cancelled) => ("cancelled", String::new()),
            Ok(BankPaymentState::Unpaid) => ("unpaid", String::new()),
            Ok(BankPaymentState::Failed { reason }) => ("failed", reason.clone()),
            Ok(BankPaymentState::Unknown { reason }) => ("unknown", reason.clone()),
            Err(error) => ("unreachable", error.to_string()),
        };
        BankAnswer {
            answer: word,
            code: answer.as_ref().map(|a| a.code.clone()).unwrap_or_default(),
            reason,
        }
    }
}

/// [`query_and_record`], with what the bank answered for a person to read (the console's
/// "query the bank now", the cashier's "I have paid").
pub async fn query_with_answer(
    state: &AppState,
    payment: &Payment,
    source: EventSource,
    close_if_unpaid: bool,
) -> Result<(QueryConclusion, BankAnswer), FlowError> {
    let channel = channel_for(state, payment).await?;
    let answer = channel
        .query_payment(&payment.order_no, payment.created_at, payment.expires_at)
        .await;
    let said = BankAnswer::of(&answer);
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
    let conclusion = record_bank_result(
        state,
        payment,
        bank_state,
        source,
        message.as_ref(),
        close_if_unpaid,
    )
    .await?;
    Ok((conclusion, said))
}
