//! Payments: creation (with idempotency), lookups, and the one function through which every
//! payment state change passes.
//!
//! A payment created with `capture = manual` is a pre-authorization: the bank's success
//! authorizes it (`authorized`, no ledger entry: nothing moved), a capture takes part or all of
//! it (`succeeded`, `captured_amount` set, the `capture` entry posted with the fees of the
//! captured amount) and a cancel releases it (`cancelled`). After a capture the row's `fee` and
//! `bank_fee` are those of the captured amount (each fee fixed at creation, in proportion), so
//! refunds, reconciliation and settlement read what was collected; `amount` stays the
//! authorized amount. Refunds never change a payment's status (see `refunds.rs`).

mod at_once;
mod change;
mod choice;
mod create;
mod create_at_once;
pub mod late_success;
mod queries;

pub(crate) use change::{NewEvent, accounting_date_of, insert_event_row, insert_outbox};
pub(crate) use create::insert_payment;

use crate::StoreError;
use crate::messages::InboundMessage;
use crate::outbox::OutboxEvent;
use unipay_core::Amount;
use unipay_core::channel::BankPaid;
use unipay_core::event::EventSource;
use unipay_core::payment::{CaptureMode, PaymentEvent, PaymentStatus, PaymentTerms};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub channel: String,
    pub out_trade_no: String,
    pub order_no: String,
    pub amount: Amount,
    pub currency: String,
    pub subject: String,
    pub status: PaymentStatus,
    pub payment_type: Option<String>,
    pub channel_trade_no: Option<String>,
    pub accounting_date: Option<String>,
    pub paid_at: Option<i64>,
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
    pub metadata: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub version: i64,
    pub next_query_at: Option<i64>,
    pub query_attempts: i64,
    /// Our fee if it succeeds, fixed at creation by the merchant's fee plan.
    pub fee: i64,
    /// The bank's fee if it succeeds, as we expect the bank to charge it.
    pub bank_fee: i64,
    /// `manual` for a pre-authorization.
    pub capture: CaptureMode,
    /// What the capture of a pre-authorization took (`amount` stays the authorized amount).
    pub captured_amount: Option<i64>,
    /// The sum of its refunds that succeeded.
    pub refunded_amount: i64,
    /// The sum of its refunds still pending: reserved, not refundable again.
    pub refund_reserved: i64,
    /// Whether the consumer chooses its bank at the cashier.
    pub bank_choice: BankChoice,
}

/// Whether a payment's bank (channel account) is the consumer's to choose at the cashier.
/// A choice can be changed only while the payment is `created`: once the cashier has sent
/// it to a bank, that bank has the order and the payment stays with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankChoice {
    /// Named at creation, or the app may use one channel account only.
    Fixed,
    /// The consumer has not chosen yet; the row holds the app's first account.
    Open,
    /// The consumer chose the account the row holds.
    Chosen,
}

impl BankChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            BankChoice::Fixed => "fixed",
            BankChoice::Open => "open",
            BankChoice::Chosen => "chosen",
        }
    }

    pub fn parse(text: &str) -> Option<BankChoice> {
        match text {
            "fixed" => Some(BankChoice::Fixed),
            "open" => Some(BankChoice::Open),
            "chosen" => Some(BankChoice::Chosen),
            _ => None,
        }
    }
}

/// What asking to choose a payment's bank came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankChosen {
    /// The payment now goes through the chosen account.
    Chosen(Payment),
    /// Refused, nothing changed: the bank was named at creation.
    Fixed(Payment),
    /// Refused, nothing changed: a bank already has the order (or the payment is over).
    Sent(Payment),
    NotFound,
}

impl Payment {
    /// What the payment collected: the captured amount of a pre-authorization, else `amount`.
    pub fn collected_amount(&self) -> i64 {
        match self.capture {
            CaptureMode::Manual => self.captured_amount.unwrap_or(0),
            CaptureMode::Immediate => self.amount.fen(),
        }
    }

    fn terms(&self) -> PaymentTerms {
        PaymentTerms {
            capture: self.capture,
            amount: self.amount.fen(),
            captured_amount: self.captured_amount,
        }
    }
}

pub(crate) const PAYMENT_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
     amount, currency, subject, status, payment_type, channel_trade_no, accounting_date, paid_at, return_url, \
     notify_url, metadata, expires_at, created_at, updated_at, version, next_query_at, query_attempts, fee, bank_fee, \
     capture, captured_amount, refunded_amount, refund_reserved, bank_choice";

pub(crate) fn payment_from_row<R: crate::writer::RowGet>(r: &R) -> Result<Payment, StoreError> {
    let status: String = r.try_get("status")?;
    let capture: String = r.try_get("capture")?;
    let bank_choice: String = r.try_get("bank_choice")?;
    Ok(Payment {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        channel: r.try_get("channel")?,
        out_trade_no: r.try_get("out_trade_no")?,
        order_no: r.try_get("order_no")?,
        amount: amount_from_row(r)?,
        currency: r.try_get("currency")?,
        subject: r.try_get("subject")?,
        status: PaymentStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("payment status {status:?}")))?,
        payment_type: r.try_get("payment_type")?,
        channel_trade_no: r.try_get("channel_trade_no")?,
        accounting_date: r.try_get("accounting_date")?,
        paid_at: r.try_get("paid_at")?,
        return_url: r.try_get("return_url")?,
        notify_url: r.try_get("notify_url")?,
        metadata: r.try_get("metadata")?,
        expires_at: r.try_get("expires_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        version: r.try_get("version")?,
        next_query_at: r.try_get("next_query_at")?,
        query_attempts: r.try_get("query_attempts")?,
        fee: r.try_get("fee")?,
        bank_fee: r.try_get("bank_fee")?,
        capture: CaptureMode::parse(&capture)
            .ok_or_else(|| StoreError::Corrupt(format!("payment capture {capture:?}")))?,
        captured_amount: r.try_get("captured_amount")?,
        refunded_amount: r.try_get("refunded_amount")?,
        refund_reserved: r.try_get("refund_reserved")?,
        bank_choice: BankChoice::parse(&bank_choice)
            .ok_or_else(|| StoreError::Corrupt(format!("payment bank_choice {bank_choice:?}")))?,
    })
}

/// A stored amount: every row was written from a checked [`Amount`], so anything else is a
/// corrupt row, not an input to refuse.
pub(crate) fn amount_from_row<R: crate::writer::RowGet>(r: &R) -> Result<Amount, StoreError> {
    let fen: i64 = r.try_get("amount")?;
    Amount::from_fen(fen).map_err(|e| StoreError::Corrupt(format!("amount {fen}: {e}")))
}

/// Everything a new payment row needs; status starts at `created`.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub channel: String,
    pub out_trade_no: String,
    pub order_no: String,
    pub amount: i64,
    pub currency: String,
    pub subject: String,
    pub return_url: Option<String>,
    pub notify_url: Option<String>,
    pub metadata: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
    pub fee: i64,
    pub bank_fee: i64,
    /// `Manual` makes it a pre-authorization: authorized first, captured or cancelled later.
    pub capture: CaptureMode,
    /// `Open` lets the consumer choose the bank at the cashier.
    pub bank_choice: BankChoice,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreatePayment {
    Created(Payment),
    /// The app already has a payment with this out_trade_no.
    Duplicate(Payment),
}

/// The result of a create call that may have been answered before under the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent<T> {
    Fresh(T),
    /// The first response under this key, to be sent again unchanged.
    Replay {
        status: u16,
        body: String,
    },
    /// The key was used before with another request body.
    KeyReused,
    /// The first request under this key is still being processed.
    InFlight,
    /// The request's nonce was spent before: a replay. Nothing was done.
    NonceReused,
}

/// A change to a payment, from whichever source reported it.
#[derive(Debug, Clone, Copy)]
pub struct PaymentChange<'a> {
    pub payment_id: &'a str,
    /// For a pre-authorization (`capture = manual`) `BankSucceeded` is read as
    /// `BankAuthorized` (see `unipay_core::payment::effective_event`).
    pub event: PaymentEvent,
    pub source: EventSource,
    /// For `BankSucceeded` and `BankAuthorized`: what the bank says about the money. For
    /// `Captured`: the capture's serial, time and accounting date (money moves at the capture;
    /// without it the capture is dated by `now_ms`).
    pub paid: Option<&'a BankPaid>,
    /// For `RequestSent`: the payment type the consumer chose.
    pub payment_type: Option<&'a str>,
    /// For events that leave the payment open: when the janitor should ask the bank next.
    pub next_query_at: Option<i64>,
    /// Free text for the timeline (a bank's reason, an error).
    pub detail: &'a str,
    pub raw_sha256: Option<&'a str>,
    /// The bank message that reported the change, kept in the same transaction. When these
    /// exact bytes were kept before and change nothing, no timeline entry is added either.
    pub message: Option<&'a InboundMessage<'a>>,
    /// A business notification this change writes is held this long for the caller to deliver
    /// at once; 0 leaves it due for any notifier.
    pub delivery_lease_ms: i64,
    /// The row as the caller last read it, if it has it: saves a read when it is current.
    pub known: Option<&'a Payment>,
    pub now_ms: i64,
}

/// A timeline entry that changes nothing: what was asked or heard, and why nothing moved.
#[derive(Debug, Clone, Copy)]
pub struct PaymentNote<'a> {
    pub payment_id: &'a str,
    /// `query_unknown`, `query_failed`, `amount_mismatch`, ...
    pub kind: &'a str,
    pub source: EventSource,
    pub detail: &'a str,
    pub message: Option<&'a InboundMessage<'a>>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The payment moved; `event` is the business notification written, if any.
    Changed {
        payment: Payment,
        event: Option<Box<OutboxEvent>>,
    },
    Unchanged(Payment),
    LateSuccess(Payment),
    Rejected(Payment),
    NotFound,
}

impl ApplyOutcome {
    /// The payment as it stands after the change (none when it was not found).
    pub fn into_payment(self) -> Option<Payment> {
        match self {
            ApplyOutcome::Changed { payment, .. }
            | ApplyOutcome::Unchanged(payment)
            | ApplyOutcome::LateSuccess(payment)
            | ApplyOutcome::Rejected(payment) => Some(payment),
            ApplyOutcome::NotFound => None,
        }
    }
}

/// Builds a business notification's body (`{"id","type","created_at","data"}`) for a payment.
pub type EventRenderer<'a> = &'a (dyn Fn(&Payment, &str, &str, i64) -> String + Send + Sync);

/// Builds the HTTP answer (status, JSON body) that a create call's idempotency key replays.
pub type ResponseRenderer<'a> = &'a (dyn Fn(&CreatePayment) -> (u16, String) + Send + Sync);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEventRow {
    pub id: String,
    pub kind: String,
    pub source: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub raw_sha256: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub id: String,
    pub kind: String,
    pub payment_id: String,
    pub detail: String,
    pub created_at: i64,
}
