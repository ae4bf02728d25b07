//! The audit log: who did what, to what, when, from where, and why. Append-only (the database
//! refuses updates and deletes). Actions that change money or a decision write their entry in
//! the same transaction as the change, so neither exists without the other.

use crate::{Store, StoreError};
use sqlx::{Any, Row, Transaction};
use unipay_core::ids::new_id;

/// One action to record.
#[derive(Debug, Clone, Copy)]
pub struct AuditEntry<'a> {
    /// A user name, `cli:<os user>`, or `system`.
    pub actor: &'a str,
    /// `recon.resolve`, `settlement.approve`, `signin`, ...
    pub action: &'a str,
    /// The id of what was acted on.
    pub target: &'a str,
    /// What was done and why (the operator's note).
    pub detail: &'a str,
    /// An IP address, `cli`, or `system`.
    pub from_address: &'a str,
    /// `ok`, `refused`, `forbidden`, ...
    pub outcome: &'a str,
    pub now_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: String,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub from_address: String,
    pub outcome: String,
}

pub(crate) async fn record(
    tx: &mut Transaction<'_, Any>,
    entry: &AuditEntry<'_>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, target, detail, from_address, outcome) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(new_id("aud", entry.now_ms))
    .bind(entry.now_ms)
    .bind(entry.actor)
    .bind(entry.action)
    .bind(entry.target)
    .bind(entry.detail)
    .bind(entry.from_address)
    .bind(entry.outcome)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which audit records to list; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    pub actor: Option<&'a str>,
    pub action: Option<&'a str>,
    pub target: Option<&'a str>,
    pub limit: i64,
}

impl Store {
    /// Records an action on its own (a refused action, a sign-in).
    pub async fn record_audit(&self, entry: &AuditEntry<'_>) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        record(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Newest first.
    pub async fn list_audit(
        &self,
        filter: &AuditFilter<'_>,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, at, actor, action, target, detail, from_address, outcome FROM audit_log \
             WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR target = $3) \
             ORDER BY at DESC, id DESC LIMIT $4",
        )
        .bind(filter.actor.unwrap_or(""))
        .bind(filter.action.unwrap_or(""))
        .bind(filter.target.unwrap_or(""))
        .bind(if filter.limit > 0 { filter.limit } else { 100 })
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
}
