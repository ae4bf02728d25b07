//! Notification endpoints that are failing: business systems whose notifications are being
//! retried or were given up (dead letters), grouped by URL.

use crate::{Store, StoreError};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailingEndpoint {
    pub url: String,
    pub app_id: String,
    /// Events still being retried after at least one failed attempt.
    pub retrying: i64,
    pub dead: i64,
    /// The latest failure's error, as the notifier recorded it.
    pub last_error: Option<String>,
    /// The oldest failing event's creation.
    pub since: i64,
}

/// How many endpoints one page lists.
const ENDPOINTS_SHOWN: i64 = 100;

/// How many (endpoint, payment) pairs the page reads to name the payments each endpoint
/// failed for.
const AFFECTED_SHOWN: i64 = 2_000;

/// An event that failed at least once and is still owed (retrying or dead): which payment it
/// is about, for the endpoint it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AffectedPayment {
    pub url: String,
    pub app_id: String,
    pub payment_id: String,
}

/// The events an endpoint owes: retrying after a failure, or given up.
const FAILING: &str = "(status = 'dead' OR (status = 'pending' AND attempts > 0))";

impl Store {
    /// Endpoints with retrying or dead events, the most dead letters first.
    pub async fn failing_endpoints(&self) -> Result<Vec<FailingEndpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT url, app_id, \
             CAST(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS BIGINT) AS retrying, \
             CAST(SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS BIGINT) AS dead, \
             MAX(last_error) AS last_error, MIN(created_at) AS since \
             FROM outbox WHERE (status = 'dead' OR (status = 'pending' AND attempts > 0)) \
             GROUP BY url, app_id ORDER BY dead DESC, retrying DESC, url LIMIT $1",
        )
        .bind(ENDPOINTS_SHOWN)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FailingEndpoint {
                    url: r.try_get("url")?,
                    app_id: r.try_get("app_id")?,
                    retrying: r.try_get("retrying")?,
                    dead: r.try_get("dead")?,
                    last_error: r.try_get("last_error")?,
                    since: r.try_get("since")?,
                })
            })
            .collect()
    }

    /// The payments whose notifications are failing, per endpoint.
    pub async fn affected_payments(&self) -> Result<Vec<AffectedPayment>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT DISTINCT url, app_id, payment_id FROM outbox WHERE {FAILING} \
             ORDER BY url, app_id, payment_id LIMIT $1"
        ))
        .bind(AFFECTED_SHOWN)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AffectedPayment {
                    url: r.try_get("url")?,
                    app_id: r.try_get("app_id")?,
                    payment_id: r.try_get("payment_id")?,
                })
            })
            .collect()
    }

    /// Every failing event of one endpoint back in the queue, due now, its attempts counted
    /// afresh (as `resend_event` does one): once the business system is fixed, one click.
    /// One statement, so all or none. Returns how many.
    pub async fn resend_endpoint(
        &self,
        url: &str,
        app_id: &str,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        let updated = sqlx::query(&format!(
            "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1 \
             WHERE url = $2 AND app_id = $3 AND {FAILING}"
        ))
        .bind(now_ms)
        .bind(url)
        .bind(app_id)
        .execute(&self.write)
        .await?;
        Ok(updated.rows_affected())
    }
}
