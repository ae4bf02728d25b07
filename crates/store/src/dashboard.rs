//! The figures of the console's dashboard: one query per group of figures.

use crate::{Store, StoreError};
use sqlx::Row;

const DAY_MS: i64 = 86_400_000;

/// A payment that reached the bank: any status the bank's word put it in, or closed after it
/// was pending at the bank. One closed before the consumer ever got to the bank never did.
pub const REACHED_BANK: &str = "(status IN ('pending', 'succeeded', 'failed', 'authorized', 'cancelled') \
     OR (status = 'closed' AND EXISTS (SELECT 1 FROM payment_events e \
     WHERE e.payment_id = payments.id AND e.to_status = 'pending')))";

/// Payments of one merchant through one channel account, created on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyPayments {
    pub merchant_id: String,
    pub channel_account_id: String,
    /// Days since 1970-01-01 in the time zone asked for.
    pub day: i64,
    /// Payments created.
    pub count: i64,
    /// Payments that reached the bank (the consumer got to the bank's page or the bank was
    /// asked): what a success rate divides by.
    pub reached_bank: i64,
    pub succeeded: i64,
    /// Amount of the succeeded ones (fen).
    pub collected_fen: i64,
}

/// What is waiting for someone or something.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Open payments the janitor still asks the bank about.
    pub payments_awaiting_result: i64,
    /// ...of which the next query is due now.
    pub payments_query_due: i64,
    /// Notifications delivered at least once without success and still retried (what the
    /// notifications page lists per endpoint).
    pub notifications_pending: i64,
    pub notifications_dead: i64,
    /// Open or held reconciliation differences.
    pub recon_items_open: i64,
    pub settlement_batches_pending_review: i64,
    /// Money the bank took after we closed the payment, waiting for an operator's decision.
    pub late_successes_open: i64,
}

impl Store {
    /// Payments created from `since_ms` on, by merchant, channel account and day; a day starts
    /// at midnight `utc_offset_ms` from UTC (UTC+8 for the bank's calendar).
    pub async fn daily_payments(
        &self,
        since_ms: i64,
        utc_offset_ms: i64,
    ) -> Result<Vec<DailyPayments>, StoreError> {
        let sql = format!(
            "SELECT merchant_id, channel_account_id, (created_at + $2) / $3 AS day, \
             COUNT(*) AS n, \
             CAST(SUM(CASE WHEN {REACHED_BANK} THEN 1 ELSE 0 END) AS BIGINT) AS reached, \
             CAST(SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS BIGINT) AS succeeded, \
             CAST(SUM(CASE WHEN status = 'succeeded' THEN amount ELSE 0 END) AS BIGINT) AS collected \
             FROM payments WHERE created_at >= $1 GROUP BY 1, 2, 3 ORDER BY 3, 1, 2"
        );
        let rows = sqlx::query(&sql)
            .bind(since_ms)
            .bind(utc_offset_ms)
            .bind(DAY_MS)
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DailyPayments {
                    merchant_id: r.try_get("merchant_id")?,
                    channel_account_id: r.try_get("channel_account_id")?,
                    day: r.try_get("day")?,
                    count: r.try_get("n")?,
                    reached_bank: r.try_get("reached")?,
                    succeeded: r.try_get("succeeded")?,
                    collected_fen: r.try_get("collected")?,
                })
            })
            .collect()
    }

    pub async fn dashboard_backlog(&self, now_ms: i64) -> Result<Backlog, StoreError> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM payments WHERE next_query_at IS NOT NULL) AS awaiting, \
               (SELECT COUNT(*) FROM payments WHERE next_query_at <= $1) AS due, \
               (SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND attempts > 0) AS pending, \
               (SELECT COUNT(*) FROM outbox WHERE status = 'dead') AS dead, \
               (SELECT COUNT(*) FROM recon_items WHERE status IN ('open', 'held')) AS recon_open, \
               (SELECT COUNT(*) FROM settlement_batches WHERE status = 'pending_review') AS review, \
               (SELECT COUNT(*) FROM anomalies WHERE kind = 'late_success' AND resolution IS NULL) AS late",
        )
        .bind(now_ms)
        .fetch_one(&self.read)
        .await?;
        Ok(Backlog {
            payments_awaiting_result: row.try_get("awaiting")?,
            payments_query_due: row.try_get("due")?,
            notifications_pending: row.try_get("pending")?,
            notifications_dead: row.try_get("dead")?,
            recon_items_open: row.try_get("recon_open")?,
            settlement_batches_pending_review: row.try_get("review")?,
            late_successes_open: row.try_get("late")?,
        })
    }
}
