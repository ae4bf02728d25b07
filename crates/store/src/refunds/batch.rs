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

use super::{
    COLLECTED_SQL, FACTS_COLUMNS, PaymentFacts, PaymentRef, PendingLine, REFUND_COLUMNS, Refund,
    RefundChange, RefundEventRenderer, RefundOutcome, apply_in, fee_plan_in, pending_refund,
    refund_from_row,
};
use crate::idempotency::{self, IdempotencyRequest};
use crate::messages::{InboundMessage, Seen, keep_message};
use crate::nonces::NonceUse;
use crate::outbox::OutboxEvent;
use crate::payments::Idempotent;
use crate::{Backend, Store, StoreError};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use unipay_core::event::EventSource;
use unipay_core::fees::RefundFeePolicy;
use unipay_core::ids::{new_body, new_id};
use unipay_core::payment::{CaptureMode, PaymentStatus};
use unipay_core::refund::{
    MAX_BATCH_LINES, RefundEvent, RefundRefusal, RefundStatus, RefundTransition, Refundable,
    check_refund, fee_to_return, refund_transition,
};

/// Line results applied per transaction: long enough to be quick, short enough not to hold
/// SQLite's one writer for long.
const LINES_PER_TRANSACTION: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundBatchStatus {
    /// Written; not yet accepted by the bank.
    Created,
    /// The bank accepted it; its lines are being carried out.
    Submitted,
    /// Every line is final.
    Finished,
    /// The bank refused it as a whole: every line failed.
    Rejected,
}

impl RefundBatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundBatchStatus::Created => "created",
            RefundBatchStatus::Submitted => "submitted",
            RefundBatchStatus::Finished => "finished",
            RefundBatchStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<RefundBatchStatus> {
        [
            RefundBatchStatus::Created,
            RefundBatchStatus::Submitted,
            RefundBatchStatus::Finished,
            RefundBatchStatus::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

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
                self.succeeded_amount += refund.amount;
            }
            RefundStatus::Failed => {
                self.failed += 1;
                self.failed_amount += refund.amount;
            }
            RefundStatus::Pending => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.succeeded == 0 && self.failed == 0
    }
}

/// Moves a batch's tallies and finishes it once every line is final.
pub(crate) async fn tally(
    tx: &mut Transaction<'_, Any>,
    batch_id: &str,
    tally: &Tally,
    now_ms: i64,
) -> Result<(), StoreError> {
    if tally.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE refund_batches SET succeeded_count = succeeded_count + $1, succeeded_amount = succeeded_amount + $2, \
         failed_count = failed_count + $3, failed_amount = failed_amount + $4, updated_at = $5 WHERE id = $6",
    )
    .bind(tally.succeeded)
    .bind(tally.succeeded_amount)
    .bind(tally.failed)
    .bind(tally.failed_amount)
    .bind(now_ms)
    .bind(batch_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE refund_batches SET status = 'finished', finished_at = $1, next_query_at = NULL \
         WHERE id = $2 AND status IN ('created', 'submitted') AND succeeded_count + failed_count = line_count",
    )
    .bind(now_ms)
    .bind(batch_id)
    .execute(&mut **tx)
    .await?;
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

impl Store {
    /// Creates a batch with one pending refund per line (each line's amount reserved), or
    /// reports the app's batch with the same out_batch_no, or refuses it: as a whole, or with
    /// every bad line and why. A refusal writes no batch, refund or reservation; like a single
    /// refund's, it spends the nonce and is kept under the idempotency key.
    pub async fn create_refund_batch(
        &self,
        new: &NewRefundBatch,
        nonce: Option<&NonceUse>,
        idempotency: Option<&IdempotencyRequest>,
        render: BatchResponseRenderer<'_>,
    ) -> Result<Idempotent<CreateRefundBatch>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(answer) =
            idempotency::open_request(&mut tx, nonce, idempotency, new.created_at).await?
        {
            return Ok(answer);
        }
        let outcome = self.create_batch_in(&mut tx, new).await?;
        idempotency::close_request(&mut tx, idempotency, || render(&outcome)).await?;
        tx.commit().await?;
        Ok(Idempotent::Fresh(outcome))
    }

    async fn create_batch_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        new: &NewRefundBatch,
    ) -> Result<CreateRefundBatch, StoreError> {
        if new.lines.is_empty() {
            return Ok(CreateRefundBatch::Refused(BatchRefusal::NoLines));
        }
        if new.lines.len() > MAX_BATCH_LINES {
            return Ok(CreateRefundBatch::Refused(BatchRefusal::TooManyLines {
                lines: new.lines.len(),
            }));
        }
        if let Some(existing) = batch_by_out_no(tx, &new.app_id, &new.out_batch_no).await? {
            return Ok(CreateRefundBatch::Duplicate(existing));
        }
        let payments = self.lock_line_payments(tx, new).await?;
        let taken = taken_out_refund_nos(tx, self.backend, new).await?;
        let plan = self.checked_lines(tx, new, &payments, &taken).await?;
        let (batch, refunds) = match plan {
            Checked::Bad(errors) => return Ok(CreateRefundBatch::LinesRejected(errors)),
            Checked::Good { batch, refunds } => (*batch, refunds),
        };
        insert_batch(tx, &batch).await?;
        insert_refunds(tx, self.backend, &batch, &refunds).await?;
        insert_lines(tx, self.backend, &batch.id, &refunds).await?;
        insert_created_events(tx, &batch).await?;
        reserve_all(tx, &batch.id, &refunds).await?;
        Ok(CreateRefundBatch::Created(batch))
    }

    /// Every payment the lines name, locked, by id; lines naming one by out_trade_no find it
    /// through [`LinePayments::by_out_trade_no`].
    async fn lock_line_payments(
        &self,
        tx: &mut Transaction<'_, Any>,
        new: &NewRefundBatch,
    ) -> Result<LinePayments, StoreError> {
        let mut ids: Vec<&str> = Vec::new();
        let mut out_trade_nos: Vec<&str> = Vec::new();
        for line in &new.lines {
            match &line.payment {
                PaymentRef::Id(id) => ids.push(id),
                PaymentRef::OutTradeNo(no) => out_trade_nos.push(no),
            }
        }
        ids.sort_unstable();
        ids.dedup();
        out_trade_nos.sort_unstable();
        out_trade_nos.dedup();
        let mut found = LinePayments::default();
        for (column, values) in [("id", &ids), ("out_trade_no", &out_trade_nos)] {
            if values.is_empty() {
                continue;
            }
            // Locked in id order, so two batches over the same payments cannot deadlock; read
            // as one JSON value (see [`json`]).
            let sql = format!(
                "SELECT {} AS facts FROM (SELECT {FACTS_COLUMNS} FROM payments WHERE app_id = $1 \
                 AND {column} IN ({}) ORDER BY id{}) p",
                json::aggregate(self.backend, FACTS_COLUMNS),
                json::texts(self.backend, "$2"),
                self.lock_row()
            );
            let facts: String = sqlx::query(&sql)
                .bind(&new.app_id)
                .bind(to_json(values)?)
                .fetch_one(&mut **tx)
                .await?
                .try_get("facts")?;
            let rows: Vec<FactsRow> = serde_json::from_str(&facts)
                .map_err(|e| StoreError::Corrupt(format!("payments as JSON: {e}")))?;
            for row in rows {
                let payment = facts_from_json(row)?;
                found
                    .by_out_trade_no
                    .insert(payment.out_trade_no.clone(), payment.id.clone());
                found.by_id.insert(payment.id.clone(), payment);
            }
        }
        Ok(found)
    }

    /// Checks every line as the single refund would, with the lines before it counted against
    /// the same payment, and computes each line's fee return.
    async fn checked_lines(
        &self,
        tx: &mut Transaction<'_, Any>,
        new: &NewRefundBatch,
        payments: &LinePayments,
        taken: &HashMap<String, String>,
    ) -> Result<Checked, StoreError> {
        let first_payment = new
            .lines
            .iter()
            .find_map(|line| payments.find(&line.payment));
        let channel_account_id = match (&new.channel_account_id, first_payment) {
            (Some(id), _) => id.clone(),
            (None, Some(payment)) => payment.channel_account_id.clone(),
            // No line names a payment of the app: every line is refused below.
            (None, None) => String::new(),
        };
        let merchant_id = first_payment
            .map(|p| p.merchant_id.clone())
            .unwrap_or_default();
        let plan = fee_plan_in(tx, &merchant_id, &channel_account_id).await?;
        let returned = if plan.refund == RefundFeePolicy::Kept {
            HashMap::new()
        } else {
            fees_returned_so_far(tx, self.backend, payments).await?
        };
        let batch_id = new_id("rfb", new.created_at);
        let mut errors = Vec::new();
        let mut refunds = Vec::with_capacity(new.lines.len());
        let mut lines_of_out_no: HashMap<&str, i64> = HashMap::with_capacity(new.lines.len());
        // Per payment: what the earlier lines reserve and the fee they return.
        let mut earlier: HashMap<&str, (i64, i64)> = HashMap::new();
        for (index, line) in new.lines.iter().enumerate() {
            let seq_no = index as i64 + 1;
            let mut refuse = |problem| {
                errors.push(LineError {
                    line: seq_no,
                    problem,
                })
            };
            if let Some(first_line) = lines_of_out_no.get(line.out_refund_no.as_str()) {
                refuse(LineProblem::OutRefundNoRepeated {
                    first_line: *first_line,
                });
                continue;
            }
            lines_of_out_no.insert(&line.out_refund_no, seq_no);
            if let Some(refund_id) = taken.get(&line.out_refund_no) {
                refuse(LineProblem::OutRefundNoTaken {
                    refund_id: refund_id.clone(),
                });
                continue;
            }
            let Some(payment) = payments.find(&line.payment) else {
                refuse(LineProblem::Refused(RefundRefusal::PaymentNotFound));
                continue;
            };
            if payment.channel_account_id != channel_account_id {
                refuse(LineProblem::OtherChannelAccount {
                    channel_account_id: payment.channel_account_id.clone(),
                });
                continue;
            }
            let (reserved_before, returned_before) =
                earlier.get(payment.id.as_str()).copied().unwrap_or((0, 0));
            let state = Refundable {
                reserved: payment.refundable.reserved + reserved_before,
                ..payment.refundable
            };
            if let Err(refusal) = check_refund(&state, line.amount) {
                refuse(LineProblem::Refused(refusal));
                continue;
            }
            let returned_so_far = returned.get(&payment.id).copied().unwrap_or(0) + returned_before;
            let fee_returned = fee_to_return(
                &plan,
                state.base(),
                payment.fee,
                state.refunded + state.reserved,
                returned_so_far,
                line.amount,
            );
            earlier.insert(
                &payment.id,
                (
                    reserved_before + line.amount,
                    returned_before + fee_returned,
                ),
            );
            if errors.is_empty() {
                refunds.push(pending_refund(
                    payment,
                    &PendingLine {
                        out_refund_no: &line.out_refund_no,
                        amount: line.amount,
                        fee_returned,
                        reason: line.reason.as_deref(),
                        notify_url: new.notify_url.as_deref(),
                        batch_id: Some(&batch_id),
                        // The batch is queried as a whole, never its lines one by one.
                        next_query_at: None,
                    },
                    new.created_at,
                ));
            }
        }
        if !errors.is_empty() {
            return Ok(Checked::Bad(errors));
        }
        let batch = RefundBatch {
            id: batch_id,
            app_id: new.app_id.clone(),
            merchant_id,
            channel_account_id,
            out_batch_no: new.out_batch_no.clone(),
            batch_no: new_body(new.created_at),
            status: RefundBatchStatus::Created,
            line_count: refunds.len() as i64,
            total_amount: refunds.iter().map(|r| r.amount).sum(),
            succeeded_count: 0,
            succeeded_amount: 0,
            failed_count: 0,
            failed_amount: 0,
            batch_date: None,
            batch_time: None,
            serial_number: None,
            reason: None,
            next_query_at: new.next_query_at,
            query_attempts: 0,
            created_at: new.created_at,
            updated_at: new.created_at,
            submitted_at: None,
            finished_at: None,
        };
        Ok(Checked::Good {
            batch: Box::new(batch),
            refunds,
        })
    }

    /// Records the bank's acceptance of a batch (`created → submitted`). The batch as it stands
    /// afterwards (unchanged when it was accepted before); `None` when there is no such batch.
    pub async fn record_refund_batch_accepted(
        &self,
        accepted: &BatchAcceptance<'_>,
    ) -> Result<Option<RefundBatch>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(message) = accepted.message {
            keep_message(&mut tx, message).await?;
        }
        sqlx::query(
            "UPDATE refund_batches SET status = 'submitted', serial_number = $1, batch_date = $2, batch_time = $3, \
             submitted_at = $4, updated_at = $4, next_query_at = $5 WHERE id = $6 AND status = 'created'",
        )
        .bind(accepted.serial_number)
        .bind(accepted.batch_date)
        .bind(accepted.batch_time)
        .bind(accepted.now_ms)
        .bind(accepted.next_query_at)
        .bind(accepted.batch_id)
        .execute(&mut *tx)
        .await?;
        let batch = batch_in(&mut tx, accepted.batch_id).await?;
        tx.commit().await?;
        Ok(batch)
    }

    /// Claims up to `limit` batches due for a look (to send, or to query), leasing each for
    /// `lease_ms` so that no other worker takes it meanwhile.
    pub async fn claim_due_refund_batches(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<RefundBatch>, StoreError> {
        self.lease_due(
            "refund_batches",
            "next_query_at",
            BATCH_COLUMNS,
            batch_from_row,
            now_ms,
            limit,
            lease_ms,
        )
        .await
    }

    /// Sets when the janitor looks at an unfinished batch next, counting the query just made.
    pub async fn schedule_next_refund_batch_query(
        &self,
        batch_id: &str,
        next_query_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refund_batches SET next_query_at = $1, query_attempts = query_attempts + 1 \
             WHERE id = $2 AND status IN ('created', 'submitted')",
        )
        .bind(next_query_at)
        .bind(batch_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Applies a batch query's answer: each line through the refund state change (lines in
    /// transactions of a few hundred, each with the batch's tallies), then schedules the next
    /// query if lines are still pending. `None` when there is no such batch.
    pub async fn apply_refund_batch_results(
        &self,
        results: &BatchResults<'_>,
        render: RefundEventRenderer<'_>,
    ) -> Result<Option<BatchApplied>, StoreError> {
        let Some(refunds) = self.batch_refunds(results.batch_id).await? else {
            return Ok(None);
        };
        let mut applied = Applied::default();
        let mut lines = Vec::with_capacity(results.lines.len());
        for line in results.lines {
            match refunds.get(line.refund_no) {
                // A line still pending at the bank: the batch is asked again as a whole.
                Some(_) if line.event == RefundEvent::BankPending => {}
                // Already where the report leads: nothing to record on every poll.
                Some(refund)
                    if refund_transition(refund.status, line.event)
                        == RefundTransition::Unchanged => {}
                Some(refund) => lines.push((refund, *line)),
                None => applied.unknown_lines.push(line.refund_no.to_string()),
            }
        }
        let common = Common {
            source: results.source,
            message: results.message,
            delivery_lease_ms: results.delivery_lease_ms,
            now_ms: results.now_ms,
        };
        self.apply_lines(results.batch_id, &lines, &common, render, &mut applied)
            .await?;
        let mut tx = self.write.begin().await?;
        if let Some(at) = results.next_query_at {
            sqlx::query(
                "UPDATE refund_batches SET next_query_at = $1, query_attempts = query_attempts + 1 \
                 WHERE id = $2 AND status IN ('created', 'submitted')",
            )
            .bind(at)
            .bind(results.batch_id)
            .execute(&mut *tx)
            .await?;
        }
        let batch = batch_in(&mut tx, results.batch_id).await?;
        tx.commit().await?;
        Ok(batch.map(|batch| applied.into_result(batch)))
    }

    /// The bank refused a batch as a whole (`created → rejected`): every pending line fails
    /// through the refund state change, releasing its reservation. A batch the bank accepted is
    /// left as it is. `None` when there is no such batch.
    pub async fn reject_refund_batch(
        &self,
        rejection: &BatchRejection<'_>,
        render: RefundEventRenderer<'_>,
    ) -> Result<Option<BatchApplied>, StoreError> {
        let mut tx = self.write.begin().await?;
        if let Some(message) = rejection.message {
            keep_message(&mut tx, message).await?;
        }
        sqlx::query(
            "UPDATE refund_batches SET status = 'rejected', reason = $1, next_query_at = NULL, finished_at = $2, \
             updated_at = $2 WHERE id = $3 AND status = 'created'",
        )
        .bind(rejection.reason)
        .bind(rejection.now_ms)
        .bind(rejection.batch_id)
        .execute(&mut *tx)
        .await?;
        let batch = batch_in(&mut tx, rejection.batch_id).await?;
        tx.commit().await?;
        let mut applied = Applied::default();
        let Some(batch) = batch else {
            return Ok(None);
        };
        if batch.status != RefundBatchStatus::Rejected {
            return Ok(Some(applied.into_result(batch)));
        }
        let Some(refunds) = self.batch_refunds(rejection.batch_id).await? else {
            return Ok(None);
        };
        let lines: Vec<(&Refund, BatchLineOutcome<'_>)> = refunds
            .values()
            .filter(|refund| refund.status == RefundStatus::Pending)
            .map(|refund| {
                (
                    refund,
                    BatchLineOutcome {
                        refund_no: &refund.refund_no,
                        event: RefundEvent::BankFailed,
                        channel_refund_no: None,
                        accounting_date: None,
                        detail: rejection.reason,
                    },
                )
            })
            .collect();
        let common = Common {
            source: rejection.source,
            // Kept with the rejection above.
            message: None,
            delivery_lease_ms: rejection.delivery_lease_ms,
            now_ms: rejection.now_ms,
        };
        self.apply_lines(rejection.batch_id, &lines, &common, render, &mut applied)
            .await?;
        let batch = self
            .get_refund_batch(rejection.batch_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("batch {} vanished", rejection.batch_id)))?;
        Ok(Some(applied.into_result(batch)))
    }

    /// Each line's change, in transactions of [`LINES_PER_TRANSACTION`] with the batch's tallies.
    async fn apply_lines(
        &self,
        batch_id: &str,
        lines: &[(&Refund, BatchLineOutcome<'_>)],
        common: &Common<'_>,
        render: RefundEventRenderer<'_>,
        applied: &mut Applied,
    ) -> Result<(), StoreError> {
        let mut message = common.message;
        for chunk in lines.chunks(LINES_PER_TRANSACTION) {
            let mut tx = self.write.begin().await?;
            // The answer is kept once, with the first lines it reports.
            let seen = match message.take() {
                Some(message) => keep_message(&mut tx, message).await?,
                None => Seen::First,
            };
            let mut moved = Tally::default();
            for (refund, line) in chunk {
                let change = RefundChange {
                    refund_id: &refund.id,
                    event: line.event,
                    source: common.source,
                    channel_refund_no: line.channel_refund_no,
                    accounting_date: line.accounting_date,
                    next_query_at: None,
                    detail: line.detail,
                    message: None,
                    delivery_lease_ms: common.delivery_lease_ms,
                    known: Some(refund),
                    now_ms: common.now_ms,
                };
                match apply_in(&mut tx, &change, seen, render, self.lock_row()).await? {
                    RefundOutcome::Changed { refund, event } => {
                        moved.add(&refund);
                        applied.changed += 1;
                        applied.events.extend(event.map(|event| *event));
                    }
                    RefundOutcome::Rejected(_) => applied.rejected += 1,
                    RefundOutcome::Unchanged(_) | RefundOutcome::NotFound => {}
                }
            }
            tally(&mut tx, batch_id, &moved, common.now_ms).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// The batch's refunds by their bank number; `None` when there is no such batch.
    async fn batch_refunds(
        &self,
        batch_id: &str,
    ) -> Result<Option<BTreeMap<String, Refund>>, StoreError> {
        if self.get_refund_batch(batch_id).await?.is_none() {
            return Ok(None);
        }
        let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE batch_id = $1");
        let rows = sqlx::query(&sql)
            .bind(batch_id)
            .fetch_all(&self.read)
            .await?;
        let mut refunds = BTreeMap::new();
        for row in &rows {
            let refund = refund_from_row(row)?;
            refunds.insert(refund.refund_no.clone(), refund);
        }
        Ok(Some(refunds))
    }

    pub async fn get_refund_batch(&self, id: &str) -> Result<Option<RefundBatch>, StoreError> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM refund_batches WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| batch_from_row(&r)).transpose()
    }

    pub async fn get_refund_batch_by_out_batch_no(
        &self,
        app_id: &str,
        out_batch_no: &str,
    ) -> Result<Option<RefundBatch>, StoreError> {
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM refund_batches WHERE app_id = $1 AND out_batch_no = $2"
        );
        let row = sqlx::query(&sql)
            .bind(app_id)
            .bind(out_batch_no)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| batch_from_row(&r)).transpose()
    }

    /// A batch's lines with their refunds as they stand, by seq_no.
    pub async fn refund_batch_lines(
        &self,
        batch_id: &str,
    ) -> Result<Vec<RefundBatchLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.batch_id, l.seq_no, l.refund_id, r.payment_id, r.out_refund_no, p.order_no, r.refund_no, \
             r.amount, r.status, r.channel_refund_no, r.failure_reason FROM refund_batch_lines l \
             JOIN refunds r ON r.id = l.refund_id JOIN payments p ON p.id = r.payment_id \
             WHERE l.batch_id = $1 ORDER BY l.seq_no",
        )
        .bind(batch_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(RefundBatchLine {
                    batch_id: r.try_get("batch_id")?,
                    seq_no: r.try_get("seq_no")?,
                    refund_id: r.try_get("refund_id")?,
                    payment_id: r.try_get("payment_id")?,
                    out_refund_no: r.try_get("out_refund_no")?,
                    order_no: r.try_get("order_no")?,
                    refund_no: r.try_get("refund_no")?,
                    amount: r.try_get("amount")?,
                    status: RefundStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("refund status {status:?}")))?,
                    channel_refund_no: r.try_get("channel_refund_no")?,
                    failure_reason: r.try_get("failure_reason")?,
                })
            })
            .collect()
    }

    /// A batch with its lines.
    pub async fn get_refund_batch_with_lines(
        &self,
        batch_id: &str,
    ) -> Result<Option<(RefundBatch, Vec<RefundBatchLine>)>, StoreError> {
        let Some(batch) = self.get_refund_batch(batch_id).await? else {
            return Ok(None);
        };
        let lines = self.refund_batch_lines(batch_id).await?;
        Ok(Some((batch, lines)))
    }
}

/// What every line of one application shares.
struct Common<'a> {
    source: EventSource,
    message: Option<&'a InboundMessage<'a>>,
    delivery_lease_ms: i64,
    now_ms: i64,
}

#[derive(Default)]
struct Applied {
    changed: usize,
    rejected: usize,
    events: Vec<OutboxEvent>,
    unknown_lines: Vec<String>,
}

impl Applied {
    fn into_result(self, batch: RefundBatch) -> BatchApplied {
        BatchApplied {
            batch,
            changed: self.changed,
            rejected: self.rejected,
            events: self.events,
            unknown_lines: self.unknown_lines,
        }
    }
}

#[derive(Default)]
struct LinePayments {
    by_id: HashMap<String, PaymentFacts>,
    by_out_trade_no: HashMap<String, String>,
}

impl LinePayments {
    fn find(&self, payment: &PaymentRef) -> Option<&PaymentFacts> {
        match payment {
            PaymentRef::Id(id) => self.by_id.get(id),
            PaymentRef::OutTradeNo(no) => self
                .by_out_trade_no
                .get(no)
                .and_then(|id| self.by_id.get(id)),
        }
    }
}

enum Checked {
    Bad(Vec<LineError>),
    Good {
        batch: Box<RefundBatch>,
        refunds: Vec<Refund>,
    },
}

async fn batch_by_out_no(
    tx: &mut Transaction<'_, Any>,
    app_id: &str,
    out_batch_no: &str,
) -> Result<Option<RefundBatch>, StoreError> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM refund_batches WHERE app_id = $1 AND out_batch_no = $2"
    );
    let row = sqlx::query(&sql)
        .bind(app_id)
        .bind(out_batch_no)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| batch_from_row(&r)).transpose()
}

async fn batch_in(
    tx: &mut Transaction<'_, Any>,
    batch_id: &str,
) -> Result<Option<RefundBatch>, StoreError> {
    let sql = format!("SELECT {BATCH_COLUMNS} FROM refund_batches WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(batch_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| batch_from_row(&r)).transpose()
}

/// The app's refunds already holding one of the lines' out_refund_nos: number → refund id.
async fn taken_out_refund_nos(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    new: &NewRefundBatch,
) -> Result<HashMap<String, String>, StoreError> {
    let numbers: BTreeSet<&str> = new.lines.iter().map(|l| l.out_refund_no.as_str()).collect();
    let sql = format!(
        "SELECT id, out_refund_no FROM refunds WHERE app_id = $1 AND out_refund_no IN ({})",
        json::texts(backend, "$2")
    );
    let rows = sqlx::query(&sql)
        .bind(&new.app_id)
        .bind(to_json(&numbers)?)
        .fetch_all(&mut **tx)
        .await?;
    let mut taken = HashMap::new();
    for row in rows {
        taken.insert(row.try_get("out_refund_no")?, row.try_get("id")?);
    }
    Ok(taken)
}

/// The fee the refunds (succeeded or pending) of each payment return already.
async fn fees_returned_so_far(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    payments: &LinePayments,
) -> Result<HashMap<String, i64>, StoreError> {
    let ids: Vec<&String> = payments.by_id.keys().collect();
    let sql = format!(
        "SELECT payment_id, CAST(SUM(fee_returned) AS BIGINT) AS returned FROM refunds \
         WHERE status <> 'failed' AND payment_id IN ({}) GROUP BY payment_id",
        json::texts(backend, "$1")
    );
    let rows = sqlx::query(&sql)
        .bind(to_json(&ids)?)
        .fetch_all(&mut **tx)
        .await?;
    let mut returned = HashMap::new();
    for row in rows {
        returned.insert(row.try_get("payment_id")?, row.try_get("returned")?);
    }
    Ok(returned)
}

async fn insert_batch(
    tx: &mut Transaction<'_, Any>,
    batch: &RefundBatch,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refund_batches (id, app_id, merchant_id, channel_account_id, out_batch_no, batch_no, status, \
         line_count, total_amount, next_query_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(&batch.id)
    .bind(&batch.app_id)
    .bind(&batch.merchant_id)
    .bind(&batch.channel_account_id)
    .bind(&batch.out_batch_no)
    .bind(&batch.batch_no)
    .bind(batch.status.as_str())
    .bind(batch.line_count)
    .bind(batch.total_amount)
    .bind(batch.next_query_at)
    .bind(batch.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The batch's refunds in one statement: what all of them share bound once, each line's own
/// values as one JSON array (see [`json`]).
async fn insert_refunds(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    batch: &RefundBatch,
    refunds: &[Refund],
) -> Result<(), StoreError> {
    let rows: Vec<_> = refunds
        .iter()
        .map(|r| {
            (
                &r.id,
                &r.payment_id,
                &r.out_refund_no,
                &r.refund_no,
                r.amount,
                r.fee_returned,
                &r.currency,
                &r.reason,
                &r.notify_url,
            )
        })
        .collect();
    let t = |index| json::text(backend, index);
    let i = |index| json::int(backend, index);
    let sql = format!(
        "INSERT INTO refunds (id, payment_id, app_id, merchant_id, channel_account_id, out_refund_no, refund_no, \
         amount, fee_returned, currency, reason, status, batch_id, notify_url, next_query_at, query_attempts, \
         version, created_at, updated_at) SELECT {}, {}, $1, $2, $3, {}, {}, {}, {}, {}, {}, 'pending', $4, {}, \
         NULL, 0, 1, $5, $5 FROM {}",
        t(0),
        t(1),
        t(2),
        t(3),
        i(4),
        i(5),
        t(6),
        t(7),
        t(8),
        json::rows(backend, "$6")
    );
    // A taken number (out_refund_no checked above, a colliding bank number) fails the whole
    // batch: nothing is written.
    sqlx::query(&sql)
        .bind(&batch.app_id)
        .bind(&batch.merchant_id)
        .bind(&batch.channel_account_id)
        .bind(&batch.id)
        .bind(batch.created_at)
        .bind(to_json(&rows)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The batch's lines, numbered from 1 in the order given.
async fn insert_lines(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    batch_id: &str,
    refunds: &[Refund],
) -> Result<(), StoreError> {
    let rows: Vec<(usize, &String)> = refunds
        .iter()
        .enumerate()
        .map(|(index, refund)| (index + 1, &refund.id))
        .collect();
    let sql = format!(
        "INSERT INTO refund_batch_lines (batch_id, seq_no, refund_id) SELECT $1, {}, {} FROM {}",
        json::int(backend, 0),
        json::text(backend, 1),
        json::rows(backend, "$2")
    );
    sqlx::query(&sql)
        .bind(batch_id)
        .bind(to_json(&rows)?)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A `refund.created` timeline entry on each refund's payment, made from the refunds just
/// written in one statement. Each entry's id is its refund's with the timeline's prefix: unique
/// because the refund's is, and it names the refund it is about.
async fn insert_created_events(
    tx: &mut Transaction<'_, Any>,
    batch: &RefundBatch,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payment_events (id, payment_id, kind, source, from_status, to_status, detail, raw_sha256, \
         created_at) SELECT 'pev_' || substr(id, 5), payment_id, 'refund.created', $1, NULL, NULL, \
         id || ' (' || out_refund_no || '): ' || CAST(amount AS TEXT) || ' fen refund pending', NULL, $2 \
         FROM refunds WHERE batch_id = $3",
    )
    .bind(EventSource::Api.as_str())
    .bind(batch.created_at)
    .bind(&batch.id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Raises each payment's reservation by its lines' sum, summed from the refunds just written.
/// The payments are locked and every line checked; the condition repeats the check, so a
/// batch can never over-reserve.
async fn reserve_all(
    tx: &mut Transaction<'_, Any>,
    batch_id: &str,
    refunds: &[Refund],
) -> Result<(), StoreError> {
    let payments: BTreeSet<&str> = refunds.iter().map(|r| r.payment_id.as_str()).collect();
    // A join with the sums (UPDATE … FROM: PostgreSQL, and SQLite since 3.33), not a subquery
    // per row, which PostgreSQL would run for every payment of the table.
    let sql = format!(
        "UPDATE payments SET refund_reserved = payments.refund_reserved + s.fen FROM \
         (SELECT payment_id AS pid, CAST(SUM(amount) AS BIGINT) AS fen FROM refunds WHERE batch_id = $1 \
         GROUP BY payment_id) s WHERE payments.id = s.pid AND payments.status = 'succeeded' \
         AND {COLLECTED_SQL} - payments.refunded_amount - payments.refund_reserved >= s.fen"
    );
    let updated = sqlx::query(&sql).bind(batch_id).execute(&mut **tx).await?;
    if updated.rows_affected() != payments.len() as u64 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}
