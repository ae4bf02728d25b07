//! Request nonces seen within the signature window, shared by every node through the database.

use crate::writer::{Params, Writer, write_statements};
use crate::{Store, StoreError};

/// A nonce to spend: once per app within its window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceUse {
    pub app_id: String,
    pub nonce: String,
    /// When the window in which a replay could still pass the timestamp check ends.
    pub expires_at_ms: i64,
}

/// The statement that spends `nonce`, its arguments pushed on `p`: it writes nothing when the
/// nonce was spent before.
pub(crate) fn spend_statement<'a>(p: &mut Params<'a>, nonce: &'a NonceUse) -> String {
    format!(
        "INSERT INTO api_nonces (app_id, nonce, expires_at) VALUES ({}, {}, {}) \
         ON CONFLICT (app_id, nonce) DO NOTHING",
        p.push(&nonce.app_id),
        p.push(&nonce.nonce),
        p.push(nonce.expires_at_ms),
    )
}

/// Spends a nonce in the caller's transaction; `false` when it was spent before.
pub(crate) async fn spend<W: Writer>(tx: &mut W, nonce: &NonceUse) -> Result<bool, StoreError> {
    let mut p = Params::default();
    let sql = spend_statement(&mut p, nonce);
    Ok(tx.execute(&sql, &p.args).await? == 1)
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
