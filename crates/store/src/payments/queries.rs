//! Reads of payments, their timelines and the anomalies found about them.

use super::{Anomaly, PAYMENT_COLUMNS, Payment, PaymentEventRow, payment_from_row};
use crate::writer::{Arg, args};
use crate::{Store, StoreError};
use sqlx::Row;

impl Store {
    pub async fn get_payment(&self, id: &str) -> Result<Option<Payment>, StoreError> {
        self.fetch_payment("id = $1", args![id]).await
    }

    pub async fn get_payment_by_out_trade_no(
        &self,
        app_id: &str,
        out_trade_no: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.fetch_payment(
            "app_id = $1 AND out_trade_no = $2",
            args![app_id, out_trade_no],
        )
        .await
    }

    pub async fn get_payment_by_order_no(
        &self,
        channel_account_id: &str,
        order_no: &str,
    ) -> Result<Option<Payment>, StoreError> {
        self.fetch_payment(
            "channel_account_id = $1 AND order_no = $2",
            args![channel_account_id, order_no],
        )
        .await
    }

    /// The payments of a channel account with these order numbers (any that exist), looked up
    /// a few hundred at a time.
    pub async fn payments_by_order_nos(
        &self,
        channel_account_id: &str,
        order_nos: &[&str],
    ) -> Result<Vec<Payment>, StoreError> {
        let mut found = Vec::new();
        for chunk in order_nos.chunks(500) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {PAYMENT_COLUMNS} FROM payments WHERE channel_account_id = $1 AND order_no IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(channel_account_id);
            for order_no in chunk {
                query = query.bind(*order_no);
            }
            for row in query.fetch_all(&self.read).await? {
                found.push(payment_from_row(&row)?);
            }
        }
        Ok(found)
    }

    async fn fetch_payment(
        &self,
        filter: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Payment>, StoreError> {
        let sql = format!("SELECT {PAYMENT_COLUMNS} FROM payments WHERE {filter}");
        let row = self.fetch_point(&sql, args).await?;
        row.map(|r| payment_from_row(&r)).transpose()
    }

    /// The payment's timeline, oldest first.
    pub async fn list_payment_events(
        &self,
        payment_id: &str,
    ) -> Result<Vec<PaymentEventRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, source, from_status, to_status, detail, raw_sha256, created_at \
             FROM payment_events WHERE payment_id = $1 ORDER BY created_at, id",
        )
        .bind(payment_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PaymentEventRow {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    source: r.try_get("source")?,
                    from_status: r.try_get("from_status")?,
                    to_status: r.try_get("to_status")?,
                    detail: r.try_get("detail")?,
                    raw_sha256: r.try_get("raw_sha256")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn list_anomalies(&self) -> Result<Vec<Anomaly>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, payment_id, detail, created_at FROM anomalies ORDER BY created_at, id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Anomaly {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    payment_id: r.try_get("payment_id")?,
                    detail: r.try_get("detail")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
