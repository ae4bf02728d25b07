//! What a verified bank message or query answer means for a payment: one rule, shared by the
//! bank's notifications (`record_notification`), the janitor, `?sync=true`, the console's
//! "query now" and reconciliation's 补单 (all through `payments::query_and_record`).

use crate::flows::refunds::NotifiedRefund;
use crate::flows::{self, FlowError, apply};
use crate::state::AppState;
use unipay_core::channel::{
    BankNotification, BankPaid, BankPaymentState, ChannelError, NotificationMode,
    NotificationOutcome,
};
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentEvent;
use unipay_store::messages::InboundMessage;
use unipay_store::payments::{ApplyOutcome, Payment, PaymentChange, PaymentNote};

/// What a bank result concluded, for the caller to act on.
#[derive(Debug)]
pub enum QueryConclusion {
    Applied(Box<ApplyOutcome>),
    /// The bank says unpaid; the payment stays open (not expired, no close requested).
    StillUnpaid,
    /// The bank could not tell, or could not be asked.
    Unknown(String),
}

/// An amount the bank reports, by what it says happened.
#[derive(Clone, Copy)]
pub enum Reported {
    Paid(i64),
    Authorized(i64),
    Captured(i64),
    Failed(i64),
}

/// The one amount rule: what the bank reports paid, authorized or failed is the order's amount;
/// what it reports captured is at most the order's amount. `Some` says why it is not believed.
pub fn amount_disagreement(payment: &Payment, reported: Reported) -> Option<String> {
    let order = payment.amount.fen();
    let (fen, agrees, what) = match reported {
        Reported::Paid(fen) => (fen, fen == order, "paid"),
        Reported::Authorized(fen) => (fen, fen == order, "authorized"),
        Reported::Captured(fen) => (fen, fen <= order, "captured"),
        Reported::Failed(fen) => (fen, fen == order, "failed"),
    };
    (!agrees).then(|| {
        format!("amount {fen} fen {what} does not match the order's {order} fen: not believed")
    })
}

/// Records what the bank says about a payment (a verified message's or a query's answer, or the
/// query's failure): the change it makes, or a note of why nothing changed. `message` is kept
/// in the same transaction. `close_if_unpaid` closes the payment when the bank confirms it
/// unpaid (expiry, or a close requested by the business).
pub async fn record_bank_result(
    state: &AppState,
    payment: &Payment,
    bank_state: Result<BankPaymentState, ChannelError>,
    source: EventSource,
    message: Option<&InboundMessage<'_>>,
    close_if_unpaid: bool,
) -> Result<QueryConclusion, FlowError> {
    let now = state.now_ms();
    let base = PaymentChange {
        payment_id: &payment.id,
        event: PaymentEvent::BankSucceeded,
        source,
        paid: None,
        payment_type: None,
        next_query_at: None,
        detail: "",
        raw_sha256: message.map(|m| m.sha256),
        message,
        delivery_lease_ms: 0,
        known: Some(payment),
        now_ms: now,
    };
    let note = |kind, detail| PaymentNote {
        payment_id: &payment.id,
        kind,
        source,
        detail,
        message,
        now_ms: now,
    };
    let reported = match &bank_state {
        Ok(BankPaymentState::Paid(paid)) => Some(Reported::Paid(paid.amount.fen())),
        Ok(BankPaymentState::Authorized(paid)) => Some(Reported::Authorized(paid.amount.fen())),
        Ok(BankPaymentState::Captured(paid)) => Some(Reported::Captured(paid.amount.fen())),
        _ => None,
    };
    if let Some(detail) = reported.and_then(|reported| amount_disagreement(payment, reported)) {
        tracing::warn!(payment_id = %payment.id, %detail);
        state
            .store
            .record_payment_note(&note("amount_mismatch", &detail))
            .await?;
        return Ok(QueryConclusion::Unknown(detail));
    }
    let conclusion = match bank_state {
        Ok(BankPaymentState::Paid(paid)) => {
            let change = PaymentChange {
                paid: Some(&paid),
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Authorized(paid)) => {
            let change = PaymentChange {
                event: PaymentEvent::BankAuthorized,
                paid: Some(&paid),
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
        }
        Ok(BankPaymentState::Captured(paid)) => {
            let change = PaymentChange {
                event: PaymentEvent::Captured {
                    amount: paid.amount,
                },
                paid: Some(&paid),
                ..base
            };
            QueryConclusion::Applied(Box::new(apply(state, &change).await?))
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
            if let Some(message) = message {
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

/// What became of a verified bank notification about a payment.
pub enum NotificationVerdict {
    /// Recorded (or a repeat of what was recorded): the bank is answered with the page it
    /// waits for, which sends the customer on to the payment's result page.
    Recorded(Box<Payment>),
    /// No payment of ours has the notified order number; the message is kept as rejected.
    UnknownOrder,
    /// The notified amount disagrees with the order; the message is kept as rejected.
    AmountMismatch,
    /// A verified result of a later operation (a refund, a void), not of a payment: a refund's
    /// applied to it, any other kept; answered so that the bank stops sending it.
    OperationNoted,
}

/// Records a verified notification of a payment's result. Nothing in it is believed before its
/// order and amount check out; the message is kept (masked) in the same transaction as the
/// change it causes, and the same bytes twice change nothing.
pub async fn record_notification(
    state: &AppState,
    channel_account_id: &str,
    notification: BankNotification,
) -> Result<NotificationVerdict, FlowError> {
    let now = state.now_ms();
    let source = match notification.mode {
        NotificationMode::Page => EventSource::PageNotification,
        NotificationMode::Server => EventSource::ServerNotification,
    };
    let message = |payment_id, verdict, reason| InboundMessage {
        channel_account_id,
        sha256: &notification.raw_sha256,
        payment_id,
        order_no: Some(&notification.order_no),
        source: source.as_str(),
        verdict,
        reason,
        raw_masked: &notification.raw_masked,
        now_ms: now,
    };
    if let NotificationOutcome::Operation {
        kind,
        succeeded,
        amount,
        reason,
        channel_trade_no,
        accounting_date,
        preauth,
    } = &notification.outcome
    {
        // A refund's result: applied to the refund of that number, after its amount checks out.
        if let Some(refund) = state
            .store
            .get_refund_by_refund_no(channel_account_id, &notification.order_no)
            .await?
        {
            if refund.amount != *amount {
                let why = format!(
                    "amount {} fen notified for a refund of {} fen: not believed",
                    amount.fen(),
                    refund.amount.fen()
                );
                reject(state, &message(Some(&refund.payment_id), "rejected", &why)).await?;
                return Ok(NotificationVerdict::AmountMismatch);
            }
            let result = NotifiedRefund {
                succeeded: *succeeded,
                channel_refund_no: channel_trade_no,
                accounting_date,
                reason,
            };
            let accepted = message(Some(&refund.payment_id), "accepted", "");
            flows::refunds::record_notified(state, &refund, &result, source, &accepted).await?;
            return Ok(NotificationVerdict::OperationNoted);
        }
        if let Some(preauth) = preauth {
            let Some(payment) = state
                .store
                .get_payment_by_order_no(channel_account_id, &preauth.original_order_no)
                .await?
            else {
                reject(state, &message(None, "rejected", "unknown order number")).await?;
                return Ok(NotificationVerdict::UnknownOrder);
            };
            if let Some(why) = flows::preauth_result::notified_disagreement(
                &payment,
                &notification.order_no,
                preauth.cancel,
                *amount,
            ) {
                reject(state, &message(Some(&payment.id), "rejected", &why)).await?;
                return Ok(NotificationVerdict::AmountMismatch);
            }
            if !*succeeded {
                // A failed capture or cancel leaves the hold as it was.
                let why = format!("operation {kind} failed: {reason}");
                state
                    .store
                    .record_bank_message(&message(Some(&payment.id), "noted", &why))
                    .await?;
                return Ok(NotificationVerdict::OperationNoted);
            }
            let paid = BankPaid {
                amount: *amount,
                channel_trade_no: channel_trade_no.clone(),
                paid_at_ms: now,
                accounting_date: accounting_date.clone(),
            };
            let done = flows::preauth_result::Done {
                cancel: preauth.cancel,
                paid: &paid,
                operation_no: &notification.order_no,
                source,
            };
            let accepted = message(Some(&payment.id), "accepted", "");
            flows::preauth_result::apply_done(state, &payment, &done, &accepted).await?;
            return Ok(NotificationVerdict::OperationNoted);
        }
        let reason = format!(
            "result of operation {kind} ({}): settled by the operation's query",
            if *succeeded { "succeeded" } else { "failed" }
        );
        state
            .store
            .record_bank_message(&message(None, "noted", &reason))
            .await?;
        return Ok(NotificationVerdict::OperationNoted);
    }
    let payment = state
        .store
        .get_payment_by_order_no(channel_account_id, &notification.order_no)
        .await?;
    let Some(payment) = payment else {
        reject(state, &message(None, "rejected", "unknown order number")).await?;
        return Ok(NotificationVerdict::UnknownOrder);
    };
    let (reported, bank_state) = match notification.outcome {
        NotificationOutcome::Paid(paid) => (
            Reported::Paid(paid.amount.fen()),
            BankPaymentState::Paid(paid),
        ),
        NotificationOutcome::Failed { reason, amount } => (
            Reported::Failed(amount.fen()),
            BankPaymentState::Failed { reason },
        ),
        // Answered above.
        NotificationOutcome::Operation { .. } => return Ok(NotificationVerdict::OperationNoted),
    };
    // A message that contradicts the order is not answered as accepted: the bank sends it
    // again, and each copy is kept as rejected.
    if let Some(reason) = amount_disagreement(&payment, reported) {
        reject(state, &message(Some(&payment.id), "rejected", &reason)).await?;
        return Ok(NotificationVerdict::AmountMismatch);
    }
    let accepted = message(Some(&payment.id), "accepted", "");
    crate::crash::crash_point("callback.after_verify_before_commit");
    record_bank_result(
        state,
        &payment,
        Ok(bank_state),
        source,
        Some(&accepted),
        false,
    )
    .await?;
    Ok(NotificationVerdict::Recorded(Box::new(payment)))
}

async fn reject(state: &AppState, message: &InboundMessage<'_>) -> Result<(), FlowError> {
    tracing::warn!(
        channel_account_id = message.channel_account_id,
        order_no = message.order_no,
        reason = message.reason,
        "bank notification rejected"
    );
    state.store.record_bank_message(message).await?;
    Ok(())
}
