//! Request nonces seen within the signature window, shared by every node through the database.

use crate::{Store, StoreError};

impl Store {
    /// Records a nonce; `false` when the app already used it within its window.
    pub async fn remember_nonce(
        &self,
        app_id: &str,
        nonce: &str,
        expires_at_ms: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO api_nonces (app_id, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (app_id, nonce) DO NOTHING",
        )
        .bind(app_id)
        .bind(nonce)
        .bind(expires_at_ms)
        .execute(&self.write)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Forgets nonces whose window has passed (a stale timestamp is refused anyway).
    pub async fn prune_nonces(&self, now_ms: i64) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM api_nonces WHERE expires_at < $1")
            .bind(now_ms)
            .execute(&self.write)
            .await?;
        Ok(result.rows_affected())
    }
}
