//! The bank's answers about a batch: its acceptance, its lines' results, its refusal as a
//! whole, and the janitor's claims on batches still open.

use super::{
    BATCH_COLUMNS, BatchAcceptance, BatchApplied, BatchLineOutcome, BatchRejection, BatchResults,
    RefundBatch, RefundBatchStatus, Tally, batch_from_row, tally,
};
use crate::db::sql_states;
use crate::messages::{InboundMessage, Seen, keep_message};
use crate::outbox::OutboxEvent;
use crate::refunds::{
    REFUND_COLUMNS, Refund, RefundChange, RefundEventRenderer, RefundOutcome, apply_in,
    refund_from_row,
};
use crate::{Store, StoreError};
use sqlx::{Any, Transaction};
use std::collections::BTreeMap;
use unipay_core::bank_batch::BankBatchEvent;
use unipay_core::event::EventSource;
use unipay_core::refund::{RefundEvent, RefundStatus, RefundTransition, refund_transition};

/// Line results applied per transaction: long enough to be quick, short enough not to hold
/// SQLite's one writer for long.
const LINES_PER_TRANSACTION: usize = 500;

impl Store {
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
        let step = BankBatchEvent::Accepted.step();
        let sql = format!(
            "UPDATE refund_batches SET status = '{}', serial_number = $1, batch_date = $2, batch_time = $3, \
             submitted_at = $4, updated_at = $4, next_query_at = $5 WHERE id = $6 AND status IN ({})",
            step.to.as_str(),
            sql_states(step.from, RefundBatchStatus::as_str)
        );
        sqlx::query(&sql)
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
        sqlx::query(&schedule_sql())
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
            sqlx::query(&schedule_sql())
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
        let step = BankBatchEvent::RefusedWhole.step();
        let sql = format!(
            "UPDATE refund_batches SET status = '{}', reason = $1, next_query_at = NULL, finished_at = $2, \
             updated_at = $2 WHERE id = $3 AND status IN ({})",
            step.to.as_str(),
            sql_states(step.from, RefundBatchStatus::as_str)
        );
        sqlx::query(&sql)
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

/// Counts a query and sets the next one, for a batch still open (only those are asked about).
fn schedule_sql() -> String {
    format!(
        "UPDATE refund_batches SET next_query_at = $1, query_attempts = query_attempts + 1 \
         WHERE id = $2 AND status IN ({})",
        sql_states(RefundBatchStatus::OPEN, RefundBatchStatus::as_str)
    )
}
