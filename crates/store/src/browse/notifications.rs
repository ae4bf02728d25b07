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
}
