//! Counts read at scrape time for `/metrics`.

use crate::{Store, StoreError};
use sqlx::Row;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backlogs {
    pub payments_by_status: Vec<(String, i64)>,
    /// Open payments whose next bank query is due.
    pub janitor_due: i64,
    /// Open payments the janitor still watches.
    pub janitor_watching: i64,
    pub notifications_pending: i64,
    pub notifications_dead: i64,
    pub anomalies: i64,
}

impl Store {
    pub async fn backlogs(&self, now_ms: i64) -> Result<Backlogs, StoreError> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM payments GROUP BY status ORDER BY status",
        )
        .fetch_all(&self.read)
        .await?;
        let payments_by_status = rows
            .iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect::<Result<Vec<(String, i64)>, StoreError>>()?;
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM payments WHERE next_query_at <= $1) AS janitor_due, \
               (SELECT COUNT(*) FROM payments WHERE next_query_at IS NOT NULL) AS janitor_watching, \
               (SELECT COUNT(*) FROM outbox WHERE status = 'pending') AS notifications_pending, \
               (SELECT COUNT(*) FROM outbox WHERE status = 'dead') AS notifications_dead, \
               (SELECT COUNT(*) FROM anomalies) AS anomalies",
        )
        .bind(now_ms)
        .fetch_one(&self.read)
        .await?;
        Ok(Backlogs {
            payments_by_status,
            janitor_due: row.try_get("janitor_due")?,
            janitor_watching: row.try_get("janitor_watching")?,
            notifications_pending: row.try_get("notifications_pending")?,
            notifications_dead: row.try_get("notifications_dead")?,
            anomalies: row.try_get("anomalies")?,
        })
    }
}
