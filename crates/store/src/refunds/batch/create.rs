//! A new batch, checked whole: every line's payment read and locked, every line checked, and
//! the batch, its refunds, reservations, lines and timeline entries written together.

use super::{
    BATCH_COLUMNS, BatchRefusal, BatchResponseRenderer, CreateRefundBatch, FactsRow, LineError,
    LineProblem, NewRefundBatch, RefundBatch, RefundBatchStatus, batch_from_row, facts_from_json,
    json, to_json,
};
use crate::idempotency::{self, IdempotencyRequest};
use crate::nonces::NonceUse;
use crate::payments::Idempotent;
use crate::refunds::{
    COLLECTED_SQL, FACTS_COLUMNS, PaymentFacts, PaymentRef, PendingLine, Refund, checked_amount,
    fee_plan_in, pending_refund,
};
use crate::{Backend, Store, StoreError};
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeSet, HashMap};
use unipay_core::event::EventSource;
use unipay_core::fees::RefundFeePolicy;
use unipay_core::ids::{new_body, new_id};
use unipay_core::refund::{
    MAX_BATCH_LINES, RefundRefusal, Refundable, check_refund, fee_to_return,
};

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
                        amount: checked_amount(line.amount)?,
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
            total_amount: refunds.iter().map(|r| r.amount.fen()).sum(),
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
