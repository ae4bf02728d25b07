//! Request nonces seen within the signature window, shared by every node through the database.

use crate::writer::{Writer, args, write_statements};
use crate::{Store, StoreError};

/// A nonce to spend: once per app within its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceUse {
    pub app_id: String,
    pub nonce: String,
    /// When the window in which a replay could still pass the timestamp check ends.
    pub expires_at_ms: i64,
}

/// Spends a nonce in the caller's transaction; `false` when it was spent before.
pub(crate) async fn spend<W: Writer>(tx: &mut W, nonce: &NonceUse) -> Result<bool, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO api_nonces (app_id, nonce, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (app_id, nonce) DO NOTHING",
            args![&nonce.app_id, &nonce.nonce, nonce.expires_at_ms],
        )
        .await?;
    Ok(inserted == 1)
}

impl Store {
    /// Records a nonce; `false` when the app already used it within its window.
    pub async fn remember_nonce(
        &self,
        app_id: &str,
        nonce: &str,
        expires_at_ms: i64,
    ) -> Result<bool, StoreError> {
        let nonce = NonceUse {
            app_id: app_id.to_string(),
            nonce: nonce.to_string(),
            expires_at_ms,
        };
        write_statements!(self, |tx| spend(tx, &nonce))
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
