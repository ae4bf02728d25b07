//! What administration lists and changes: merchants, apps (never their secrets) and the two
//! changes an app undergoes after creation, a new secret and its status. Each change commits
//! with its audit entry.

use crate::audit::{self, AuditEntry};
use crate::merchants::Merchant;
use crate::{Store, StoreError};
use sqlx::Row;

/// An app as administration lists it: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSummary {
    pub id: String,
    pub merchant_id: String,
    pub name: String,
    pub notify_url: Option<String>,
    pub channel_account_id: Option<String>,
    pub status: String,
    pub created_at: i64,
}

/// The most rows an administration list shows.
const ADMIN_ROWS: i64 = 500;

impl Store {
    /// Each channel account's id and the bank's merchant number for it (what finance staff
    /// know it by), without reading its keys.
    pub async fn channel_account_labels(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, bank_merchant_id FROM channel_accounts ORDER BY created_at, id LIMIT $1",
        )
        .bind(ADMIN_ROWS)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("bank_merchant_id")?)))
            .collect()
    }

    pub async fn list_merchants(&self) -> Result<Vec<Merchant>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at FROM merchants ORDER BY created_at, id LIMIT $1",
        )
        .bind(ADMIN_ROWS)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Merchant {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn list_apps(&self) -> Result<Vec<AppSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, merchant_id, name, notify_url, channel_account_id, status, created_at \
             FROM apps ORDER BY created_at, id LIMIT $1",
        )
        .bind(ADMIN_ROWS)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AppSummary {
                    id: r.try_get("id")?,
                    merchant_id: r.try_get("merchant_id")?,
                    name: r.try_get("name")?,
                    notify_url: r.try_get("notify_url")?,
                    channel_account_id: r.try_get("channel_account_id")?,
                    status: r.try_get("status")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Replaces an app's secret (sealed on the way in); the old one stops working. `false` when there is no such app.
    pub async fn rotate_app_secret(
        &self,
        app_id: &str,
        new_secret: &str,
        audit_entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        let sealed = self.seal_secret(crate::secrets::APP_SECRET, app_id, new_secret)?;
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query("UPDATE apps SET secret = $1 WHERE id = $2")
            .bind(&sealed)
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Ok(false);
        }
        audit::record(&mut tx, audit_entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Sets an app `active` or `disabled`. `false` when there is no such app.
    pub async fn set_app_status(
        &self,
        app_id: &str,
        status: &str,
        audit_entry: &AuditEntry<'_>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query("UPDATE apps SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(app_id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() != 1 {
            return Ok(false);
        }
        audit::record(&mut tx, audit_entry).await?;
        tx.commit().await?;
        Ok(true)
    }
}
