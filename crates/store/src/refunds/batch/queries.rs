//! Reads of refund batches and their lines.

use super::{BATCH_COLUMNS, RefundBatch, RefundBatchLine, batch_from_row};
use crate::{Store, StoreError};
use sqlx::Row;
use unipay_core::refund::RefundStatus;

impl Store {
    pub async fn get_refund_batch(&self, id: &str) -> Result<Option<RefundBatch>, StoreError> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM refund_batches WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| batch_from_row(&r)).transpose()
    }

    pub async fn get_refund_batch_by_out_batch_no(
        &self,
        app_id: &str,
        out_batch_no: &str,
    ) -> Result<Option<RefundBatch>, StoreError> {
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM refund_batches WHERE app_id = $1 AND out_batch_no = $2"
        );
        let row = sqlx::query(&sql)
            .bind(app_id)
            .bind(out_batch_no)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| batch_from_row(&r)).transpose()
    }

    /// A batch's lines with their refunds as they stand, by seq_no.
    pub async fn refund_batch_lines(
        &self,
        batch_id: &str,
    ) -> Result<Vec<RefundBatchLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.batch_id, l.seq_no, l.refund_id, r.payment_id, r.out_refund_no, p.order_no, r.refund_no, \
             r.amount, r.status, r.channel_refund_no, r.failure_reason FROM refund_batch_lines l \
             JOIN refunds r ON r.id = l.refund_id JOIN payments p ON p.id = r.payment_id \
             WHERE l.batch_id = $1 ORDER BY l.seq_no",
        )
        .bind(batch_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get("status")?;
                Ok(RefundBatchLine {
                    batch_id: r.try_get("batch_id")?,
                    seq_no: r.try_get("seq_no")?,
                    refund_id: r.try_get("refund_id")?,
                    payment_id: r.try_get("payment_id")?,
                    out_refund_no: r.try_get("out_refund_no")?,
                    order_no: r.try_get("order_no")?,
                    refund_no: r.try_get("refund_no")?,
                    amount: r.try_get("amount")?,
                    status: RefundStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("refund status {status:?}")))?,
                    channel_refund_no: r.try_get("channel_refund_no")?,
                    failure_reason: r.try_get("failure_reason")?,
                })
            })
            .collect()
    }

    /// A batch with its lines.
    pub async fn get_refund_batch_with_lines(
        &self,
        batch_id: &str,
    ) -> Result<Option<(RefundBatch, Vec<RefundBatchLine>)>, StoreError> {
        let Some(batch) = self.get_refund_batch(batch_id).await? else {
            return Ok(None);
        };
        let lines = self.refund_batch_lines(batch_id).await?;
        Ok(Some((batch, lines)))
    }
}
