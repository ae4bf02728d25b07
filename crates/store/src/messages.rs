//! Inbound bank messages: every one is kept (masked), believed or not, and the same bytes
//! twice are one row with a count, so a replay is recognised and changes nothing.

use crate::writer::{Writer, args, write_statements};
use crate::{Store, StoreError};
use sqlx::Row;
use unipay_core::ids::new_id;

#[derive(Debug, Clone)]
pub struct InboundMessage<'a> {
    pub channel_account_id: &'a str,
    pub sha256: &'a str,
    pub payment_id: Option<&'a str>,
    pub order_no: Option<&'a str>,
    /// `page_notification`, `server_notification`, ...
    pub source: &'a str,
    /// `accepted` or `rejected`.
    pub verdict: &'a str,
    pub reason: &'a str,
    pub raw_masked: &'a str,
    pub now_ms: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    First,
    Again,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: String,
    pub sha256: String,
    pub payment_id: Option<String>,
    pub order_no: Option<String>,
    pub source: String,
    pub verdict: String,
    pub reason: String,
    pub raw_masked: String,
    pub seen_count: i64,
    pub first_seen_at: i64,
}

impl Store {
    /// Keeps a message; tells whether these exact bytes were seen before.
    pub async fn record_bank_message(
        &self,
        message: &InboundMessage<'_>,
    ) -> Result<Seen, StoreError> {
        write_statements!(self, |tx| keep_message(tx, message))
    }
}

/// Keeps a message in the caller's transaction; tells whether these bytes were seen before.
pub(crate) async fn keep_message<W: Writer>(
    tx: &mut W,
    message: &InboundMessage<'_>,
) -> Result<Seen, StoreError> {
    let id = new_id("msg", message.now_ms);
    let inserted = tx
        .execute(
            "INSERT INTO bank_messages (id, channel_account_id, sha256, payment_id, order_no, source, verdict, reason, \
             raw_masked, seen_count, first_seen_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10) \
             ON CONFLICT (channel_account_id, sha256) DO NOTHING",
            args![
                &id,
                message.channel_account_id,
                message.sha256,
                message.payment_id,
                message.order_no,
                message.source,
                message.verdict,
                message.reason,
                message.raw_masked,
                message.now_ms,
            ],
        )
        .await?;
    if inserted == 1 {
        return Ok(Seen::First);
    }
    tx.execute(
        "UPDATE bank_messages SET seen_count = seen_count + 1, last_seen_at = $1 \
         WHERE channel_account_id = $2 AND sha256 = $3",
        args![message.now_ms, message.channel_account_id, message.sha256],
    )
    .await?;
    Ok(Seen::Again)
}

impl Store {
    pub async fn list_bank_messages(
        &self,
        verdict: Option<&str>,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, sha256, payment_id, order_no, source, verdict, reason, raw_masked, seen_count, first_seen_at \
             FROM bank_messages WHERE ($1 IS NULL OR verdict = $1) ORDER BY first_seen_at, id",
        )
        .bind(verdict)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredMessage {
                    id: r.try_get("id")?,
                    sha256: r.try_get("sha256")?,
                    payment_id: r.try_get("payment_id")?,
                    order_no: r.try_get("order_no")?,
                    source: r.try_get("source")?,
                    verdict: r.try_get("verdict")?,
                    reason: r.try_get("reason")?,
                    raw_masked: r.try_get("raw_masked")?,
                    seen_count: r.try_get("seen_count")?,
                    first_seen_at: r.try_get("first_seen_at")?,
                })
            })
            .collect()
    }
}

/// Rows the pruner deletes per statement, so that no delete holds the writer for long.
const PRUNE_BATCH: i64 = 1_000;

impl Store {
    /// Deletes refused messages that name no payment and no order (what anyone could send:
    /// they failed verification, or named nothing of ours) last seen before `before_ms`, a
    /// batch at a time; answers how many.
    pub async fn prune_refused_bank_messages(&self, before_ms: i64) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let batch = sqlx::query(
                "DELETE FROM bank_messages WHERE id IN (SELECT id FROM bank_messages \
                 WHERE verdict = 'rejected' AND last_seen_at < $1 AND payment_id IS NULL \
                 AND order_no IS NULL LIMIT $2)",
            )
            .bind(before_ms)
            .bind(PRUNE_BATCH)
            .execute(&self.write)
            .await?
            .rows_affected();
            deleted += batch;
            if batch < u64::try_from(PRUNE_BATCH).unwrap_or(u64::MAX) {
                return Ok(deleted);
            }
        }
    }
}
