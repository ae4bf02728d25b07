//! Idempotency keys: the first answer under a key is saved in the same transaction as the
//! work it describes, with a hash of the request, so a retry replays it and another request
//! under the same key is refused rather than silently answered with the first one's result.

use crate::writer::{RowGet, Writer, args};
use crate::{Store, StoreError};

impl Store {
    /// Forgets idempotency keys first used before `before_ms`: a retry that late is a new request.
    pub async fn prune_idempotency_keys(&self, before_ms: i64) -> Result<u64, StoreError> {
        let result = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(before_ms)
            .execute(&self.write)
            .await?;
        Ok(result.rows_affected())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRequest {
    pub app_id: String,
    pub key: String,
    /// Hex SHA-256 over the method, path and body of the request.
    pub request_hash: String,
}

pub(crate) enum IdempotencyBegin {
    New,
    Replay { status: u16, body: String },
    KeyReused,
    InFlight,
}

pub(crate) async fn begin<W: Writer>(
    tx: &mut W,
    request: &IdempotencyRequest,
    now_ms: i64,
) -> Result<IdempotencyBegin, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO idempotency_keys (app_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (app_id, key) DO NOTHING",
            args![&request.app_id, &request.key, &request.request_hash, now_ms],
        )
        .await?;
    if inserted == 1 {
        return Ok(IdempotencyBegin::New);
    }
    let row = tx
        .fetch_optional(
            "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE app_id = $1 AND key = $2",
            args![&request.app_id, &request.key],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("idempotency key vanished in its transaction".into()))?;
    let stored_hash: String = row.try_get("request_hash")?;
    if stored_hash != request.request_hash {
        return Ok(IdempotencyBegin::KeyReused);
    }
    let status: Option<i64> = row.try_get("status_code")?;
    let body: Option<String> = row.try_get("response_body")?;
    Ok(match (status, body) {
        (Some(status), Some(body)) => IdempotencyBegin::Replay {
            status: u16::try_from(status).unwrap_or(500),
            body,
        },
        _ => IdempotencyBegin::InFlight,
    })
}

pub(crate) async fn finish<W: Writer>(
    tx: &mut W,
    request: &IdempotencyRequest,
    status: u16,
    body: &str,
) -> Result<(), StoreError> {
    tx.execute(
        "UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE app_id = $3 AND key = $4",
        args![i64::from(status), body, &request.app_id, &request.key],
    )
    .await?;
    Ok(())
}

/// The envelope of every create call (payments, refunds, refund batches): spends the request's
/// nonce and opens its idempotency key in the transaction that will do the work. `Some` is the
/// answer when the request ends here (a replayed nonce, a replayed or reused key).
pub(crate) async fn open_request<T, W: Writer>(
    tx: &mut W,
    nonce: Option<&crate::nonces::NonceUse>,
    idempotency: Option<&IdempotencyRequest>,
    now_ms: i64,
) -> Result<Option<crate::payments::Idempotent<T>>, StoreError> {
    use crate::payments::Idempotent;
    // The nonce is spent with the work it asks for: one commit, not two.
    if let Some(nonce) = nonce
        && !crate::nonces::spend(tx, nonce).await?
    {
        return Ok(Some(Idempotent::NonceReused));
    }
    let Some(request) = idempotency else {
        return Ok(None);
    };
    Ok(match begin(tx, request, now_ms).await? {
        IdempotencyBegin::New => None,
        IdempotencyBegin::Replay { status, body } => Some(Idempotent::Replay { status, body }),
        IdempotencyBegin::KeyReused => Some(Idempotent::KeyReused),
        IdempotencyBegin::InFlight => Some(Idempotent::InFlight),
    })
}

/// Saves the answer under the request's idempotency key, in the work's transaction.
pub(crate) async fn close_request<W: Writer>(
    tx: &mut W,
    idempotency: Option<&IdempotencyRequest>,
    answer: impl FnOnce() -> (u16, String),
) -> Result<(), StoreError> {
    if let Some(request) = idempotency {
        let (status, body) = answer();
        finish(tx, request, status, &body).await?;
    }
    Ok(())
}
