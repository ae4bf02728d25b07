//! Refund batches (批量退款): up to [`MAX_BATCH_LINES`] refunds handed to the bank in one
//! request and carried out by it later.
//!
//! A batch is written whole or not at all: [`Store::create_refund_batch`] reads every line's
//! payment (locked), checks every line by the single refund's rules (several lines may refund
//! the same payment: their amounts add up) and, when any line is bad, answers with every bad
//! line and why, writing nothing. Otherwise one transaction writes the batch, one pending refund
//! per line with its reservation, the lines and the timeline events: each kind of row in one
//! statement, the lines' own values passed as one JSON array (`mod json`). 10,000 lines take
//! about half a second on SQLite (a release build on 2 cores), about 2.5 s on PostgreSQL, where
//! the time goes into the tables' indexes.
//!
//! A batch moves `created → submitted` when the bank accepts it (its serial number, date and
//! time name it in queries) and `→ finished` once every line is final; `created → rejected`
//! when the bank refuses it as a whole (every line fails, releasing its reservation). Each line's
//! result goes through the refund state change, so a line's refund, payment sums, timeline,
//! ledger entry and notification are exactly those of a single refund; the batch's tallies move
//! in the same transaction.

mod change;
mod create;
mod queries;

use super::{PaymentFacts, PaymentRef, Refund};
use crate::StoreError;
use crate::db::sql_states;
use crate::messages::InboundMessage;
use crate::outbox::OutboxEvent;
use crate::writer::{Writer, args};
use sqlx::Row;
use sqlx::any::AnyRow;
use unipay_core::bank_batch::BankBatchEvent;
use unipay_core::event::EventSource;
use unipay_core::payment::{CaptureMode, PaymentStatus};
use unipay_core::refund::{RefundEvent, RefundRefusal, RefundStatus, Refundable};

/// A refund batch moves by core's bank batch table (`unipay_core::bank_batch`).
pub use unipay_core::bank_batch::BankBatchStatus as RefundBatchStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundBatch {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    /// The business system's number for the batch, unique per app.
    pub out_batch_no: String,
    /// Our number for the batch at the bank (BatchNo), fixed at creation so that a resend
    /// repeats the same request.
    pub batch_no: String,
    pub status: RefundBatchStatus,
    pub line_count: i64,
    pub total_amount: i64,
    pub succeeded_count: i64,
    pub succeeded_amount: i64,
    pub failed_count: i64,
    pub failed_amount: i64,
    /// As the bank's acceptance names the batch (its queries repeat them).
    pub batch_date: Option<String>,
    pub batch_time: Option<String>,
    pub serial_number: Option<String>,
    /// Why the bank refused the batch.
    pub reason: Option<String>,
    pub next_query_at: Option<i64>,
    pub query_attempts: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub submitted_at: Option<i64>,
    pub finished_at: Option<i64>,
}

pub(crate) const BATCH_COLUMNS: &str = "id, app_id, merchant_id, channel_account_id, out_batch_no, batch_no, status, \
     line_count, total_amount, succeeded_count, succeeded_amount, failed_count, failed_amount, batch_date, \
     batch_time, serial_number, reason, next_query_at, query_attempts, created_at, updated_at, submitted_at, \
     finished_at";

pub(crate) fn batch_from_row(r: &AnyRow) -> Result<RefundBatch, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(RefundBatch {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        merchant_id: r.try_get("merchant_id")?,
        channel_account_id: r.try_get("channel_account_id")?,
        out_batch_no: r.try_get("out_batch_no")?,
        batch_no: r.try_get("batch_no")?,
        status: RefundBatchStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("refund batch status {status:?}")))?,
        line_count: r.try_get("line_count")?,
        total_amount: r.try_get("total_amount")?,
        succeeded_count: r.try_get("succeeded_count")?,
        succeeded_amount: r.try_get("succeeded_amount")?,
        failed_count: r.try_get("failed_count")?,
        failed_amount: r.try_get("failed_amount")?,
        batch_date: r.try_get("batch_date")?,
        batch_time: r.try_get("batch_time")?,
        serial_number: r.try_get("serial_number")?,
        reason: r.try_get("reason")?,
        next_query_at: r.try_get("next_query_at")?,
        query_attempts: r.try_get("query_attempts")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        submitted_at: r.try_get("submitted_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// One line of a batch with its refund as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundBatchLine {
    pub batch_id: String,
    /// From 1, in the order the lines were given.
    pub seq_no: i64,
    pub refund_id: String,
    pub payment_id: String,
    pub out_refund_no: String,
    /// The refunded order's bank number, and the refund's own.
    pub order_no: String,
    pub refund_no: String,
    pub amount: i64,
    pub status: RefundStatus,
    pub channel_refund_no: Option<String>,
    pub failure_reason: Option<String>,
}

/// A batch asked for.
#[derive(Debug, Clone)]
pub struct NewRefundBatch {
    pub app_id: String,
    pub out_batch_no: String,
    /// The channel account the batch goes through; that of the first line's payment when
    /// `None`. Every line's payment must have been made through it.
    pub channel_account_id: Option<String>,
    pub lines: Vec<NewBatchLine>,
    /// Where the lines' `refund.*` notifications go; each payment's notify URL when `None`.
    pub notify_url: Option<String>,
    /// When the janitor first looks at the batch, should it never be sent or answered.
    pub next_query_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatchLine {
    pub payment: PaymentRef,
    pub out_refund_no: String,
    pub amount: i64,
    pub reason: Option<String>,
}

/// Why one line cannot be refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// A single refund's rule refuses it (no such payment, not paid, amount, ...).
    Refused(RefundRefusal),
    /// The app already has a refund with this out_refund_no.
    OutRefundNoTaken { refund_id: String },
    /// An earlier line of the batch has the same out_refund_no.
    OutRefundNoRepeated { first_line: i64 },
    /// The payment went through another channel account than the batch.
    OtherChannelAccount { channel_account_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line's number, from 1 (its `seq_no` had it been written).
    pub line: i64,
    pub problem: LineProblem,
}

/// Why a batch as a whole cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchRefusal {
    NoLines,
    TooManyLines { lines: usize },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateRefundBatch {
    Created(RefundBatch),
    /// The app already has a batch with this out_batch_no: that one, unchanged.
    Duplicate(RefundBatch),
    /// Nothing written.
    Refused(BatchRefusal),
    /// Every bad line and why; nothing written.
    LinesRejected(Vec<LineError>),
}

/// Builds the HTTP answer that a batch create's idempotency key replays.
pub type BatchResponseRenderer<'a> =
    &'a (dyn Fn(&CreateRefundBatch) -> (u16, String) + Send + Sync);

/// The bank accepted a batch: what names it from now on.
#[derive(Debug, Clone, Copy)]
pub struct BatchAcceptance<'a> {
    pub batch_id: &'a str,
    pub serial_number: &'a str,
    pub batch_date: &'a str,
    pub batch_time: &'a str,
    /// When the janitor first asks how its lines stand.
    pub next_query_at: i64,
    pub message: Option<&'a InboundMessage<'a>>,
    pub now_ms: i64,
}

/// What the bank says about one line of a batch, named by the refund's own number.
#[derive(Debug, Clone, Copy)]
pub struct BatchLineOutcome<'a> {
    pub refund_no: &'a str,
    /// `BankPending` lines are left as they are: the batch is asked again as a whole.
    pub event: RefundEvent,
    pub channel_refund_no: Option<&'a str>,
    pub accounting_date: Option<&'a str>,
    /// The bank's reason for a failed line.
    pub detail: &'a str,
}

/// A batch query's answer, line by line.
#[derive(Debug, Clone, Copy)]
pub struct BatchResults<'a> {
    pub batch_id: &'a str,
    pub lines: &'a [BatchLineOutcome<'a>],
    pub source: EventSource,
    /// The answer, kept once with the first lines' transaction.
    pub message: Option<&'a InboundMessage<'a>>,
    /// When to ask again if lines are still pending afterwards.
    pub next_query_at: Option<i64>,
    pub delivery_lease_ms: i64,
    pub now_ms: i64,
}

/// The bank refused a whole batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchRejection<'a> {
    pub batch_id: &'a str,
    pub reason: &'a str,
    pub source: EventSource,
    pub message: Option<&'a InboundMessage<'a>>,
    pub delivery_lease_ms: i64,
    pub now_ms: i64,
}

/// What applying a batch's results did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchApplied {
    pub batch: RefundBatch,
    /// Lines whose refund moved.
    pub changed: usize,
    /// Lines whose report contradicts their refund's final state (on the timeline).
    pub rejected: usize,
    /// The notifications written, held for the caller to deliver at once.
    pub events: Vec<OutboxEvent>,
    /// Refund numbers the answer named that are not lines of the batch.
    pub unknown_lines: Vec<String>,
}

/// The counts and sums a batch's lines move by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    succeeded: i64,
    succeeded_amount: i64,
    failed: i64,
    failed_amount: i64,
}

impl Tally {
    pub(crate) fn of(refund: &Refund) -> Tally {
        let mut tally = Tally::default();
        tally.add(refund);
        tally
    }

    fn add(&mut self, refund: &Refund) {
        match refund.status {
            RefundStatus::Succeeded => {
                self.succeeded += 1;
                self.succeeded_amount += refund.amount.fen();
            }
            RefundStatus::Failed => {
                self.failed += 1;
                self.failed_amount += refund.amount.fen();
            }
            RefundStatus::Pending => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.succeeded == 0 && self.failed == 0
    }
}

/// Moves a batch's tallies and finishes it once every line is final.
pub(crate) async fn tally<W: Writer>(
    tx: &mut W,
    batch_id: &str,
    tally: &Tally,
    now_ms: i64,
) -> Result<(), StoreError> {
    if tally.is_empty() {
        return Ok(());
    }
    tx.execute(
        "UPDATE refund_batches SET succeeded_count = succeeded_count + $1, succeeded_amount = succeeded_amount + $2, \
         failed_count = failed_count + $3, failed_amount = failed_amount + $4, updated_at = $5 WHERE id = $6",
        args![
            tally.succeeded,
            tally.succeeded_amount,
            tally.failed,
            tally.failed_amount,
            now_ms,
            batch_id,
        ],
    )
    .await?;
    let step = BankBatchEvent::AllLinesFinal.step();
    let sql = format!(
        "UPDATE refund_batches SET status = '{}', finished_at = $1, next_query_at = NULL \
         WHERE id = $2 AND status IN ({}) AND succeeded_count + failed_count = line_count",
        step.to.as_str(),
        sql_states(step.from, RefundBatchStatus::as_str)
    );
    tx.execute(&sql, args![now_ms, batch_id]).await?;
    Ok(())
}

/// Many rows go to and from the database as one JSON array in one bound value: every value
/// bound or read through `Any` costs (and SQLite finds each parameter by walking the list of
/// their names), while the databases take a JSON array apart natively. The functions differ
/// by backend; these build each backend's form.
mod json {
    use crate::Backend;

    /// The elements of the JSON array bound as `param`, as rows with one column `value`.
    pub(super) fn rows(backend: Backend, param: &str) -> String {
        match backend {
            Backend::Sqlite => format!("json_each({param})"),
            Backend::Postgres => {
                format!("jsonb_array_elements(CAST({param} AS jsonb)) AS j(value)")
            }
        }
    }

    /// Item `index` of a row's `value` (itself an array) as text.
    pub(super) fn text(backend: Backend, index: usize) -> String {
        match backend {
            Backend::Sqlite => format!("json_extract(value, '$[{index}]')"),
            Backend::Postgres => format!("(value ->> {index})"),
        }
    }

    /// Item `index` of a row's `value` as an integer.
    pub(super) fn int(backend: Backend, index: usize) -> String {
        match backend {
            Backend::Sqlite => format!("json_extract(value, '$[{index}]')"),
            Backend::Postgres => format!("CAST(value ->> {index} AS BIGINT)"),
        }
    }

    /// The texts of the JSON array bound as `param`, as a subquery for `IN (...)`.
    pub(super) fn texts(backend: Backend, param: &str) -> String {
        match backend {
            Backend::Sqlite => format!("SELECT value FROM json_each({param})"),
            Backend::Postgres => {
                format!("SELECT jsonb_array_elements_text(CAST({param} AS jsonb))")
            }
        }
    }

    /// The rows of a query as one JSON array of arrays (text; `[]` for none).
    pub(super) fn aggregate(backend: Backend, columns: &str) -> String {
        match backend {
            Backend::Sqlite => format!("json_group_array(json_array({columns}))"),
            Backend::Postgres => {
                format!("CAST(COALESCE(json_agg(json_build_array({columns})), '[]') AS TEXT)")
            }
        }
    }
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("batch as JSON: {e}")))
}

/// A payment's facts as [`Store::lock_line_payments`] reads them, in [`FACTS_COLUMNS`] order.
type FactsRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    i64,
    String,
    String,
    i64,
    Option<i64>,
    i64,
    i64,
);

fn facts_from_json(row: FactsRow) -> Result<PaymentFacts, StoreError> {
    let (id, app_id, merchant_id, channel_account_id, out_trade_no, currency, notify_url, fee) =
        (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
    let (status, capture) = (row.8, row.9);
    Ok(PaymentFacts {
        id,
        app_id,
        merchant_id,
        channel_account_id,
        out_trade_no,
        currency,
        notify_url,
        fee,
        refundable: Refundable {
            status: PaymentStatus::parse(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("payment status {status:?}")))?,
            capture: CaptureMode::parse(&capture)
                .ok_or_else(|| StoreError::Corrupt(format!("payment capture {capture:?}")))?,
            amount: row.10,
            captured_amount: row.11,
            refunded: row.12,
            reserved: row.13,
        },
    })
}
