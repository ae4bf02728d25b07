//! Reading the audit log a page at a time, newest first, for people looking for something.

use crate::audit::AuditRecord;
use crate::{Store, StoreError};
use sqlx::Row;

/// Which records to show; empty fields do not narrow. `before` is the cursor: the `(at, id)` of
/// the last record of the previous page.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    /// From this instant (ms), inclusive; 0: no bound.
    pub from_ms: i64,
    /// Up to this instant (ms), exclusive; 0: no bound.
    pub to_ms: i64,
    pub before: Option<(i64, &'a str)>,
    pub limit: i64,
}

impl Store {
    /// Newest first. Paging by `(at, id)` keeps pages stable while new entries arrive.
    pub async fn search_audit(
        &self,
        query: &AuditQuery<'_>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let (before_at, before_id) = query.before.unwrap_or((i64::MAX, ""));
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, detail, from_address, outcome FROM audit_log \
             WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) \
             AND at >= $3 AND at < $4 AND (at < $5 OR (at = $5 AND id < $6)) \
             ORDER BY at DESC, id DESC LIMIT $7",
        )
        .bind(query.actor)
        .bind(query.action)
        .bind(query.from_ms)
        .bind(if query.to_ms > 0 {
            query.to_ms
        } else {
            i64::MAX
        })
        .bind(before_at)
        // Without a cursor, `at < i64::MAX` lets every entry through whatever the id.
        .bind(before_id)
        .bind(query.limit.clamp(1, 500))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    target: r.try_get("target")?,
                    detail: r.try_get("detail")?,
                    from_address: r.try_get("from_address")?,
                    outcome: r.try_get("outcome")?,
                })
            })
            .collect()
    }

    /// How many records `query` finds on all its pages (its cursor and limit ignored).
    pub async fn count_audit(&self, query: &AuditQuery<'_>) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM audit_log \
             WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND at >= $3 AND at < $4",
        )
        .bind(query.actor)
        .bind(query.action)
        .bind(query.from_ms)
        .bind(if query.to_ms > 0 {
            query.to_ms
        } else {
            i64::MAX
        })
        .fetch_one(&self.read)
        .await?;
        Ok(row.try_get("n")?)
    }
}
