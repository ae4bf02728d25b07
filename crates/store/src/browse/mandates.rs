//! Mandate and debit-batch lists, newest first, keyset paged on `(created_at, id)`; a
//! mandate's timeline with the masked bank message behind each event, and the debits made on
//! it.

use super::payments::{Page, into_page};
use super::{PAGE_ROWS, Search, before};
use crate::mandates::batches::{BATCH_COLUMNS, DebitBatch, batch_from_row};
use crate::mandates::{MANDATE_COLUMNS, Mandate, mandate_from_row};
use crate::refunds::transactions::Cursor;
use crate::{Store, StoreError};
use sqlx::Row;
use unipay_core::payment::PaymentStatus;

/// One event of a mandate's timeline, with the bank message it came from when one was kept.
#[derive(Debug, Clone)]
pub struct MandateEventView {
    pub kind: String,
    pub source: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub detail: String,
    pub raw_sha256: Option<String>,
    pub raw_masked: Option<String>,
    pub created_at: i64,
}

/// A payment debited from a mandate, alone or as a batch line.
#[derive(Debug, Clone)]
pub struct MandateDebitView {
    pub payment_id: String,
    pub out_trade_no: String,
    pub amount: i64,
    pub status: PaymentStatus,
    pub batch_id: Option<String>,
    pub seq_no: Option<i64>,
    pub failure_reason: Option<String>,
    pub created_at: i64,
}

impl Store {
    pub async fn search_mandates(&self, search: &Search<'_>) -> Result<Page<Mandate>, StoreError> {
        let (before_at, before_id) = before(search.cursor.as_ref());
        let sql = format!(
            "SELECT {MANDATE_COLUMNS} FROM mandates WHERE \
             ($1 = '' OR id = $1 OR out_mandate_no = $1 OR agent_sign_no = $1 OR sign_request_no = $1) \
             AND ($2 = '' OR status = $2) AND ($3 = '' OR app_id = $3) \
             AND created_at >= $4 AND created_at < $5 \
             AND (created_at < $6 OR (created_at = $6 AND ($7 = '' OR id < $7))) \
             ORDER BY created_at DESC, id DESC LIMIT $8"
        );
        let rows = sqlx::query(&sql)
            .bind(search.text.unwrap_or(""))
            .bind(search.status.unwrap_or(""))
            .bind(search.app_id.unwrap_or(""))
            .bind(search.from_ms.unwrap_or(i64::MIN))
            .bind(search.to_ms.unwrap_or(i64::MAX))
            .bind(before_at)
            .bind(before_id)
            .bind(PAGE_ROWS + 1)
            .fetch_all(&self.read)
            .await?;
        let mandates = rows
            .iter()
            .map(mandate_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(mandates, |m| Cursor {
            created_at: m.created_at,
            id: m.id.clone(),
        }))
    }

    /// A mandate's timeline, oldest first, each event with its masked bank message.
    pub async fn mandate_timeline(
        &self,
        mandate: &Mandate,
    ) -> Result<Vec<MandateEventView>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.kind, e.source, e.from_status, e.to_status, e.detail, e.raw_sha256, e.created_at, \
             b.raw_masked FROM mandate_events e LEFT JOIN bank_messages b \
             ON b.channel_account_id = $2 AND b.sha256 = e.raw_sha256 \
             WHERE e.mandate_id = $1 ORDER BY e.created_at, e.id",
        )
        .bind(&mandate.id)
        .bind(&mandate.channel_account_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MandateEventView {
                    kind: r.try_get("kind")?,
                    source: r.try_get("source")?,
                    from_status: r.try_get("from_status")?,
                    to_status: r.try_get("to_status")?,
                    detail: r.try_get("detail")?,
                    raw_sha256: r.try_get("raw_sha256")?,
                    raw_masked: r.try_get("raw_masked")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The newest debits made on a mandate (at most a page of them), and how many there are.
    pub async fn mandate_debits(
        &self,
        mandate_id: &str,
    ) -> Result<(Vec<MandateDebitView>, i64), StoreError> {
        let rows = sqlx::query(
            "SELECT d.payment_id, d.batch_id, d.seq_no, d.failure_reason, p.out_trade_no, p.amount, \
             p.status, p.created_at FROM mandate_debits d JOIN payments p ON p.id = d.payment_id \
             WHERE d.mandate_id = $1 ORDER BY p.created_at DESC, p.id DESC LIMIT $2",
        )
        .bind(mandate_id)
        .bind(PAGE_ROWS)
        .fetch_all(&self.read)
        .await?;
        let debits = rows
            .iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(MandateDebitView {
                    payment_id: r.try_get("payment_id")?,
                    out_trade_no: r.try_get("out_trade_no")?,
                    amount: r.try_get("amount")?,
                    status: PaymentStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("payment status {status:?}")))?,
                    batch_id: r.try_get("batch_id")?,
                    seq_no: r.try_get("seq_no")?,
                    failure_reason: r.try_get("failure_reason")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let total: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM mandate_debits WHERE mandate_id = $1")
                .bind(mandate_id)
                .fetch_one(&self.read)
                .await?
                .try_get("n")?;
        Ok((debits, total))
    }

    pub async fn list_debit_batches(
        &self,
        status: Option<&str>,
        app_id: Option<&str>,
        cursor: Option<&Cursor>,
    ) -> Result<Page<DebitBatch>, StoreError> {
        let (before_at, before_id) = before(cursor);
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM debit_batches WHERE ($1 = '' OR status = $1) \
             AND ($2 = '' OR app_id = $2) \
             AND (created_at < $3 OR (created_at = $3 AND ($4 = '' OR id < $4))) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        );
        let rows = sqlx::query(&sql)
            .bind(status.unwrap_or(""))
            .bind(app_id.unwrap_or(""))
            .bind(before_at)
            .bind(before_id)
            .bind(PAGE_ROWS + 1)
            .fetch_all(&self.read)
            .await?;
        let batches = rows
            .iter()
            .map(batch_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page(batches, |b| Cursor {
            created_at: b.created_at,
            id: b.id.clone(),
        }))
    }
}
