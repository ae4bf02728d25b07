//! The transaction flow (交易流水): an app's payments and refunds of a time range as one list,
//! paged by keyset on `(created_at, id)`, oldest first. Ids carry their kind's prefix (`pay_`,
//! `rfd_`), so the pair is unique across both. A page continues strictly after the last row of
//! the one before: rows inserted meanwhile never shift the pages (unlike an offset), so no row
//! that existed when the first page was read is skipped or repeated.

use crate::{Store, StoreError};
use sqlx::Row;

impl Store {
    /// Of `bank_order_nos` (the numbers a bank's records carry), those that are `app_id`'s on
    /// `channel_account_id`: its payments' `order_no` and its refunds' `refund_no`. The bank's
    /// records are the whole channel account's, shared by the merchant's apps; this is how one
    /// app's share is told apart. Looked up a few hundred at a time.
    pub async fn app_bank_order_nos(
        &self,
        app_id: &str,
        channel_account_id: &str,
        bank_order_nos: &[&str],
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut owned = std::collections::HashSet::new();
        for chunk in bank_order_nos.chunks(400) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
            let list = placeholders.join(", ");
            let sql = format!(
                "SELECT order_no AS no FROM payments \
                 WHERE app_id = $1 AND channel_account_id = $2 AND order_no IN ({list}) \
                 UNION ALL SELECT refund_no AS no FROM refunds \
                 WHERE app_id = $1 AND channel_account_id = $2 AND refund_no IN ({list})"
            );
            let mut query = sqlx::query(&sql).bind(app_id).bind(channel_account_id);
            for order_no in chunk {
                query = query.bind(*order_no);
            }
            for row in query.fetch_all(&self.read).await? {
                owned.insert(row.try_get::<String, _>("no")?);
            }
        }
        Ok(owned)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    Payment,
    Refund,
}

impl TransactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::Payment => "payment",
            TransactionKind::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<TransactionKind> {
        match text {
            "payment" => Some(TransactionKind::Payment),
            "refund" => Some(TransactionKind::Refund),
            _ => None,
        }
    }
}

/// Where a page starts: strictly after this row. Opaque to clients ([`Cursor::encode`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

impl Cursor {
    /// Lowercase hex of `created_at:id`: opaque, URL-safe, and checked when read back.
    pub fn encode(&self) -> String {
        hex::encode(format!("{}:{}", self.created_at, self.id))
    }

    /// `None` for anything [`Cursor::encode`] did not make (the caller answers 400).
    pub fn parse(text: &str) -> Option<Cursor> {
        let bytes = hex::decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (created_at, id) = text.split_once(':')?;
        let id_ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok {
            return None;
        }
        Some(Cursor {
            created_at: created_at.parse().ok()?,
            id: id.to_string(),
        })
    }
}

/// What to list: an app's transactions created in `[from_ms, to_ms)`.
#[derive(Debug, Clone)]
pub struct TransactionQuery<'a> {
    pub app_id: &'a str,
    pub from_ms: i64,
    pub to_ms: i64,
    /// Only rows in this status (a payment's or a refund's: `pending`, `succeeded`, ...).
    pub status: Option<&'a str>,
    pub kind: Option<TransactionKind>,
    /// The previous page's `next_cursor`; `None` for the first page.
    pub cursor: Option<&'a Cursor>,
    /// At most this many rows (1 to 1,000).
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionRow {
    pub kind: TransactionKind,
    pub id: String,
    /// out_trade_no of a payment, out_refund_no of a refund.
    pub out_no: String,
    /// A payment's collected amount (a captured pre-authorization's capture; its authorized
    /// amount before), a refund's amount.
    pub amount: i64,
    pub status: String,
    pub created_at: i64,
    /// The payment itself, or the payment a refund refunds.
    pub payment_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionPage {
    pub rows: Vec<TransactionRow>,
    /// Where the next page starts; `None` when this page is the last.
    pub next_cursor: Option<Cursor>,
}

/// The most rows one page may hold.
pub const MAX_PAGE: i64 = 1_000;

impl Store {
    pub async fn list_transactions(
        &self,
        query: &TransactionQuery<'_>,
    ) -> Result<TransactionPage, StoreError> {
        let limit = query.limit.clamp(1, MAX_PAGE);
        let (after_at, after_id) = match query.cursor {
            Some(cursor) => (cursor.created_at, cursor.id.as_str()),
            // Before every row: ids are never empty.
            None => (i64::MIN, ""),
        };
        // One filter for both halves; each backend wants every bound argument used.
        let filter = "app_id = $1 AND created_at >= $2 AND created_at < $3 AND ($4 = '' OR status = $4) \
             AND (created_at > $6 OR (created_at = $6 AND id > $7))";
        let sql = format!(
            "SELECT kind, id, out_no, amount, status, created_at, payment_id FROM ( \
             SELECT 'payment' AS kind, id, out_trade_no AS out_no, \
             CASE WHEN captured_amount IS NULL THEN amount ELSE captured_amount END AS amount, status, created_at, \
             id AS payment_id FROM payments WHERE {filter} AND $5 <> 'refund' \
             UNION ALL \
             SELECT 'refund' AS kind, id, out_refund_no AS out_no, amount, status, created_at, payment_id \
             FROM refunds WHERE {filter} AND $5 <> 'payment' \
             ) t ORDER BY created_at, id LIMIT $8"
        );
        // One more than asked tells whether another page follows.
        let rows = sqlx::query(&sql)
            .bind(query.app_id)
            .bind(query.from_ms)
            .bind(query.to_ms)
            .bind(query.status.unwrap_or(""))
            .bind(query.kind.map_or("", TransactionKind::as_str))
            .bind(after_at)
            .bind(after_id)
            .bind(limit + 1)
            .fetch_all(&self.read)
            .await?;
        let mut page = Vec::with_capacity(rows.len());
        for row in &rows {
            let kind: String = row.try_get("kind")?;
            page.push(TransactionRow {
                kind: TransactionKind::parse(&kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("transaction kind {kind:?}")))?,
                id: row.try_get("id")?,
                out_no: row.try_get("out_no")?,
                amount: row.try_get("amount")?,
                status: row.try_get("status")?,
                created_at: row.try_get("created_at")?,
                payment_id: row.try_get("payment_id")?,
            });
        }
        let more = page.len() as i64 > limit;
        page.truncate(limit as usize);
        let next_cursor = match page.last() {
            Some(last) if more => Some(Cursor {
                created_at: last.created_at,
                id: last.id.clone(),
            }),
            _ => None,
        };
        Ok(TransactionPage {
            rows: page,
            next_cursor,
        })
    }
}
