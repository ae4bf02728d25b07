//! Refund and refund-batch lists, newest first, keyset paged on `(created_at, id)`.

use super::payments::{Page, Totals, into_page, into_page_of};
use super::{PAGE_ROWS, before};
use crate::refunds::batch::{BATCH_COLUMNS, RefundBatch, batch_from_row};
use crate::refunds::transactions::Cursor;
use crate::refunds::{REFUND_COLUMNS, Refund, refund_from_row};
use crate::{Store, StoreError};
use sqlx::Row;

/// What to search; every field narrows.
#[derive(Debug, Clone, Default)]
pub struct RefundSearch<'a> {
    /// A refund id, out_refund_no, the bank's refund number or serial, or the payment's id.
    pub text: Option<&'a str>,
    pub status: Option<&'a str>,
    pub app_id: Option<&'a str>,
    pub cursor: Option<&'a Cursor>,
    /// Rows a page holds; 0 (or less) is [`PAGE_ROWS`].
    pub page_rows: i64,
}

/// The refund search's conditions, `$1`..`$3`.
const REFUND_FILTER: &str = "($1 = '' OR id = $1 OR out_refund_no = $1 OR refund_no = $1 \
     OR channel_refund_no = $1 OR payment_id = $1) AND ($2 = '' OR status = $2) \
     AND ($3 = '' OR app_id = $3)";

impl Store {
    /// How many refunds a search finds on all its pages, and their amount (fen); the cursor
    /// is ignored.
    pub async fn refund_search_totals(
        &self,
        search: &RefundSearch<'_>,
    ) -> Result<Totals, StoreError> {
        let sql = format!(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS fen \
             FROM refunds WHERE {REFUND_FILTER}"
        );
        let row = sqlx::query(&sql)
            .bind(search.text.unwrap_or(""))
            .bind(search.status.unwrap_or(""))
            .bind(search.app_id.unwrap_or(""))
            .fetch_one(&self.read)
            .await?;
        Ok(Totals {
            count: row.try_get("n")?,
            amount_fen: row.try_get("fen")?,
        })
    }

    pub async fn search_refunds(
        &self,
        search: &RefundSearch<'_>,
    ) -> Result<Page<Refund>, StoreError> {
        let (before_at, before_id) = before(search.cursor);
        let page_rows = if search.page_rows > 0 {
            search.page_rows
        } else {
            PAGE_ROWS
        };
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE {REFUND_FILTER} \
             AND (created_at < $4 OR (created_at = $4 AND ($5 = '' OR id < $5))) \
             ORDER BY created_at DESC, id DESC LIMIT $6"
        );
        let rows = sqlx::query(&sql)
            .bind(search.text.unwrap_or(""))
            .bind(search.status.unwrap_or(""))
            .bind(search.app_id.unwrap_or(""))
            .bind(before_at)
            .bind(before_id)
            .bind(page_rows + 1)
            .fetch_all(&self.read)
            .await?;
        let refunds = rows
            .iter()
            .map(refund_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(into_page_of(refunds, page_rows, |r| Cursor {
            created_at: r.created_at,
            id: r.id.clone(),
        }))
    }

    pub async fn list_refund_batches(
        &self,
        status: Option<&str>,
        cursor: Option<&Cursor>,
    ) -> Result<Page<RefundBatch>, StoreError> {
        let (before_at, before_id) = before(cursor);
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM refund_batches WHERE ($1 = '' OR status = $1) \
             AND (created_at < $2 OR (created_at = $2 AND ($3 = '' OR id < $3))) \
             ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(status.unwrap_or(""))
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
