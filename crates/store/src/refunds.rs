//! Refunds: creation (with the nonce and idempotency key, like payments), lookups, and the one
//! function through which every refund state change passes. Batches are in [`batch`], the
//! transaction flow (payments and refunds of an app, paged) in [`transactions`].
//!
//! **A refunded payment stays `succeeded`**: it carries `refunded_amount` (its refunds that
//! succeeded) and `refund_reserved` (those still pending), and a refund is a movement of its
//! own. Reconciliation and settlement thus meet one collection per payment on its date and each
//! refund on the refund's date (`load_platform_day`, `refund_totals`), and nothing already
//! reconciled or settled changes when a payment is refunded later.
//!
//! **Reservations.** A refund reserves its amount when it is created: the create transaction
//! raises `refund_reserved` in one update whose condition is core's `check_refund` (`collected
//! − refunded − reserved ≥ amount`; PostgreSQL checks a row another transaction holds again
//! once that one commits, SQLite has a single writer) and inserts the refund, so of refunds
//! racing for the same money exactly those that fit win. Only a request that does not fit
//! reads the payment (locked, `FOR UPDATE` on PostgreSQL) to tell why. A refund that fails releases its reservation; one that succeeds turns it into
//! `refunded_amount`.
//!
//! **Refusals** (`CreateRefund::Refused`) change no payment and make no refund. They are an
//! answer like any other: the request's nonce is spent and the answer is kept under its
//! idempotency key, so a retry under the same key gets the same answer.
//!
//! **State change** ([`Store::apply_refund_change`]): in one transaction the bank message that
//! reported it, the refund row (version-checked), the payment's sums, the timeline event on the
//! payment (`refund.succeeded`, `refund.failed`, `refund.bank_pending`), the ledger entry
//! `refund_succeeded` (the merchant bears the amount less the fee returned) and the business
//! notification (`refund.succeeded` / `refund.failed`) in the outbox.

mod at_once;
pub mod batch;
mod change;
mod create;
mod create_at_once;
mod queries;
pub mod transactions;

pub(crate) use change::apply_in;
pub(crate) use create::{
    COLLECTED_SQL, PendingLine, checked_amount, create_refund_in, fee_plan_in, pending_refund,
};

use crate::StoreError;
use crate::messages::InboundMessage;
use crate::outbox::OutboxEvent;
use crate::payments::{Payment, amount_from_row};
use crate::writer::RowGet;
use unipay_core::Amount;
use unipay_core::event::EventSource;
use unipay_core::refund::{RefundEvent, RefundRefusal, RefundStatus, Refundable};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub payment_id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    /// The business system's number for the refund, unique per app.
    pub out_refund_no: String,
    /// The refund's own number at the bank (NewOrderNo), unique per channel account.
    pub refund_no: String,
    pub amount: Amount,
    /// The share of the payment's fee this refund returns to the merchant (fixed at creation by
    /// the merchant's fee plan).
    pub fee_returned: i64,
    pub currency: String,
    pub reason: Option<String>,
    pub status: RefundStatus,
    /// The bank's serial for the refund, once it succeeded.
    pub channel_refund_no: Option<String>,
    /// The bank's accounting date of the refund, once it succeeded.
    pub accounting_date: Option<String>,
    /// Why the bank refused or failed it.
    pub failure_reason: Option<String>,
    /// The batch it was made in, if any.
    pub batch_id: Option<String>,
    pub notify_url: Option<String>,
    /// When the janitor asks the bank about it next (single refunds only: a batch is queried
    /// as a whole).
    pub next_query_at: Option<i64>,
    pub query_attempts: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

pub(crate) const REFUND_COLUMNS: &str = "id, payment_id, app_id, merchant_id, channel_account_id, out_refund_no, \
     refund_no, amount, fee_returned, currency, reason, status, channel_refund_no, accounting_date, failure_reason, \
     batch_id, notify_url, next_query_at, query_attempts, version, created_at, updated_at, finished_at";

pub(crate) fn refund_from_row<R: RowGet>(r: &R) -> Result<Refund, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(Refund {
        id: r.try_get("id")?,
        payment_id: r.try_get("payment_id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        out_refund_no: r.try_get("out_refund_no")?,
        refund_no: r.try_get("refund_no")?,
        amount: amount_from_row(r)?,
        fee_returned: r.try_get("fee_returned")?,
        currency: r.try_get("currency")?,
        reason: r.try_get("reason")?,
        status: RefundStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("refund status {status:?}")))?,
        channel_refund_no: r.try_get("channel_refund_no")?,
        accounting_date: r.try_get("accounting_date")?,
        failure_reason: r.try_get("failure_reason")?,
        batch_id: r.try_get("batch_id")?,
        notify_url: r.try_get("notify_url")?,
        next_query_at: r.try_get("next_query_at")?,
        query_attempts: r.try_get("query_attempts")?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// How a refund request names the payment: by id or by the app's out_trade_no.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaymentRef {
    Id(String),
    OutTradeNo(String),
}

/// A refund asked for. The store gives it its id and bank number.
#[derive(Debug, Clone)]
pub struct NewRefund {
    pub app_id: String,
    pub payment: PaymentRef,
    pub out_refund_no: String,
    pub amount: i64,
    pub reason: Option<String>,
    /// Where its `refund.*` notifications go; the payment's notify URL when `None`.
    pub notify_url: Option<String>,
    /// When the janitor first asks the bank, should the bank call never be made or answered.
    pub next_query_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateRefund {
    /// A new pending refund, its amount reserved on the payment.
    Created(Refund),
    /// The app already has a refund with this out_refund_no: that one, unchanged.
    Duplicate(Refund),
    /// Refused by a rule; nothing was reserved or made.
    Refused(RefundRefusal),
}

/// Builds the HTTP answer (status, JSON body) that a refund create's idempotency key replays.
pub type RefundResponseRenderer<'a> = &'a (dyn Fn(&CreateRefund) -> (u16, String) + Send + Sync);

/// Builds a business notification's body (`{"id","type","created_at","data"}`) for a refund:
/// (refund, event id, event type, now).
pub type RefundEventRenderer<'a> = &'a (dyn Fn(&Refund, &str, &str, i64) -> String + Send + Sync);

/// A change to a refund, from whichever source reported it.
#[derive(Debug, Clone, Copy)]
pub struct RefundChange<'a> {
    pub refund_id: &'a str,
    pub event: RefundEvent,
    pub source: EventSource,
    /// For `BankSucceeded`: the bank's serial for the refund.
    pub channel_refund_no: Option<&'a str>,
    /// For `BankSucceeded`: the bank's accounting date (`YYYY-MM-DD`); without it the refund is
    /// dated by `now_ms` (Beijing calendar).
    pub accounting_date: Option<&'a str>,
    /// For `BankPending`: when the janitor asks next.
    pub next_query_at: Option<i64>,
    /// Free text for the timeline; for `BankFailed`, the bank's reason (kept on the refund).
    pub detail: &'a str,
    /// The bank message that reported the change, kept in the same transaction. When these
    /// exact bytes were kept before and change nothing, no timeline entry is added either.
    pub message: Option<&'a InboundMessage<'a>>,
    /// A notification this change writes is held this long for the caller to deliver at once.
    pub delivery_lease_ms: i64,
    /// The row as the caller last read it, if it has it: saves a read when it is current.
    pub known: Option<&'a Refund>,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// The refund moved; `event` is the business notification written, if any.
    Changed {
        refund: Refund,
        event: Option<Box<OutboxEvent>>,
    },
    /// Nothing moved (a duplicate, or the bank cannot tell yet: then rescheduled).
    Unchanged(Refund),
    /// The event contradicts the refund's final state: on the timeline, otherwise ignored.
    Rejected(Refund),
    NotFound,
}

impl RefundOutcome {
    pub fn into_refund(self) -> Option<Refund> {
        match self {
            RefundOutcome::Changed { refund, .. }
            | RefundOutcome::Unchanged(refund)
            | RefundOutcome::Rejected(refund) => Some(refund),
            RefundOutcome::NotFound => None,
        }
    }
}

/// What a refund needs of its payment: whose it is, and core's [`Refundable`]. Read instead
/// of the whole row because a batch reads up to 10,000 of them, and every value read through
/// `Any` costs.
pub(crate) struct PaymentFacts {
    pub(crate) id: String,
    pub(crate) app_id: String,
    pub(crate) merchant_id: String,
    pub(crate) channel_account_id: String,
    pub(crate) out_trade_no: String,
    pub(crate) currency: String,
    pub(crate) notify_url: Option<String>,
    /// Our fee on what it collected.
    pub(crate) fee: i64,
    pub(crate) refundable: Refundable,
}

pub(crate) const FACTS_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, out_trade_no, currency, \
     notify_url, fee, status, capture, amount, captured_amount, refunded_amount, refund_reserved";

/// What a refund needs of `payment`.
pub(crate) fn facts_of(payment: &Payment) -> PaymentFacts {
    PaymentFacts {
        id: payment.id.clone(),
        app_id: payment.app_id.clone(),
        merchant_id: payment.merchant_id.clone(),
        channel_account_id: payment.channel_account_id.clone(),
        out_trade_no: payment.out_trade_no.clone(),
        currency: payment.currency.clone(),
        notify_url: payment.notify_url.clone(),
        fee: payment.fee,
        refundable: Refundable {
            status: payment.status,
            capture: payment.capture,
            amount: payment.amount.fen(),
            captured_amount: payment.captured_amount,
            refunded: payment.refunded_amount,
            reserved: payment.refund_reserved,
        },
    }
}
