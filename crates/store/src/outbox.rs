//! Business notifications waiting to be delivered. A row keeps its event id for every attempt;
//! a claim is a lease, so a notifier that dies lets another send the event again.

use crate::writer::{Finish, Params, Writer, args, write_transaction};
use crate::{Backend, Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;
use unipay_core::ids::new_id;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    pub id: String,
    pub app_id: String,
    pub payment_id: String,
    pub event_type: String,
    pub url: String,
    pub body: String,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

const OUTBOX_COLUMNS: &str = "id, app_id, payment_id, event_type, url, body, status, attempts, next_attempt_at, last_error, created_at, delivered_at";

fn outbox_from_row(r: &AnyRow) -> Result<OutboxEvent, StoreError> {
    Ok(OutboxEvent {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        payment_id: r.try_get("payment_id")?,
        event_type: r.try_get("event_type")?,
        url: r.try_get("url")?,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: r.try_get("next_attempt_at")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        delivered_at: r.try_get("delivered_at")?,
    })
}

/// What one delivery attempt came to.
#[derive(Debug, Clone)]
pub struct AttemptResult<'a> {
    pub event_id: &'a str,
    /// The attempt's number, from 1.
    pub attempt: i64,
    pub status_code: Option<u16>,
    pub error: Option<&'a str>,
    pub duration_ms: i64,
    pub now_ms: i64,
    pub next: NextStep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    Delivered,
    RetryAt(i64),
    DeadLetter,
}

impl Store {
    /// Claims up to `limit` due events, leased for `lease_ms`.
    pub async fn claim_due_events(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        self.lease_due(
            "outbox",
            "next_attempt_at",
            OUTBOX_COLUMNS,
            outbox_from_row,
            now_ms,
            limit,
            lease_ms,
        )
        .await
    }

    /// Records an attempt and moves the event on, in one transaction.
    pub async fn record_attempt(&self, result: &AttemptResult<'_>) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            return self.record_attempt_at_once(result).await;
        }
        write_transaction!(self, |tx| record_attempt_in(tx, result))
    }

    /// `record_attempt` on PostgreSQL as one statement (the attempt a `WITH` part of the
    /// event's update), which is one transaction without `BEGIN` and `COMMIT` round trips.
    async fn record_attempt_at_once(&self, result: &AttemptResult<'_>) -> Result<(), StoreError> {
        let id = new_id("att", result.now_ms);
        let (status, next_at, delivered_at) = moved_on(result);
        let mut p = Params::default();
        let sql = format!(
            "WITH attempt AS (INSERT INTO notification_attempts (id, event_id, attempt, status_code, error, \
             duration_ms, created_at) VALUES ({}, {event_id}, {}, {}, {error}, {}, {})) \
             UPDATE outbox SET status = {}, attempts = attempts + 1, next_attempt_at = {}, last_error = {error}, \
             delivered_at = {} WHERE id = {event_id}",
            p.push(id.as_str()),
            p.push(result.attempt),
            p.push(result.status_code.map(i64::from)),
            p.push(result.duration_ms),
            p.push(result.now_ms),
            p.push(status),
            p.push(next_at),
            p.push(delivered_at),
            event_id = p.push(result.event_id),
            error = p.push(result.error),
        );
        let mut connection = self.write.acquire().await?;
        Writer::execute(&mut *connection, &sql, &p.args).await?;
        Ok(())
    }

    /// Puts an event (typically dead-lettered) back in the queue, due now, its schedule restarted.
    /// Returns false when there is no such event.
    pub async fn resend_event(&self, id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1 WHERE id = $2",
        )
        .bind(now_ms)
        .bind(id)
        .execute(&self.write)
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    pub async fn list_events_for_payment(
        &self,
        payment_id: &str,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE payment_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(payment_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(outbox_from_row).collect()
    }

    pub async fn list_events_by_status(
        &self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE status = $1 ORDER BY created_at, id LIMIT $2"
        );
        let rows = sqlx::query(&sql)
            .bind(status)
            .bind(limit)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(outbox_from_row).collect()
    }
}

async fn record_attempt_in<W: Writer>(
    tx: &mut W,
    result: &AttemptResult<'_>,
) -> Result<Finish<()>, StoreError> {
    let id = new_id("att", result.now_ms);
    tx.execute(
        "INSERT INTO notification_attempts (id, event_id, attempt, status_code, error, duration_ms, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        args![
            &id,
            result.event_id,
            result.attempt,
            result.status_code.map(i64::from),
            result.error,
            result.duration_ms,
            result.now_ms,
        ],
    )
    .await?;
    let (status, next_at, delivered_at) = moved_on(result);
    tx.execute(
        "UPDATE outbox SET status = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3, \
         delivered_at = $4 WHERE id = $5",
        args![status, next_at, result.error, delivered_at, result.event_id],
    )
    .await?;
    Ok(Finish::Commit(()))
}

/// An event's status, next attempt and delivery time after an attempt.
fn moved_on(result: &AttemptResult<'_>) -> (&'static str, Option<i64>, Option<i64>) {
    match result.next {
        NextStep::Delivered => ("delivered", None, Some(result.now_ms)),
        NextStep::RetryAt(at) => ("pending", Some(at), None),
        NextStep::DeadLetter => ("dead", None, None),
    }
}
