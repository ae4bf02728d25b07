//! Reads of refunds.

use super::{REFUND_COLUMNS, Refund, refund_from_row};
use crate::{Store, StoreError};

impl Store {
    pub async fn get_refund(&self, id: &str) -> Result<Option<Refund>, StoreError> {
        self.fetch_refund("id = $1", &[id]).await
    }

    pub async fn get_refund_by_out_refund_no(
        &self,
        app_id: &str,
        out_refund_no: &str,
    ) -> Result<Option<Refund>, StoreError> {
        self.fetch_refund(
            "app_id = $1 AND out_refund_no = $2",
            &[app_id, out_refund_no],
        )
        .await
    }

    /// The refund the bank knows by `refund_no` on a channel account (its NewOrderNo).
    pub async fn get_refund_by_refund_no(
        &self,
        channel_account_id: &str,
        refund_no: &str,
    ) -> Result<Option<Refund>, StoreError> {
        self.fetch_refund(
            "channel_account_id = $1 AND refund_no = $2",
            &[channel_account_id, refund_no],
        )
        .await
    }

    /// A payment's refunds, oldest first.
    pub async fn list_refunds_for_payment(
        &self,
        payment_id: &str,
    ) -> Result<Vec<Refund>, StoreError> {
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(&sql)
            .bind(payment_id)
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn fetch_refund(
        &self,
        filter: &str,
        args: &[&str],
    ) -> Result<Option<Refund>, StoreError> {
        let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE {filter}");
        let mut query = sqlx::query(&sql);
        for arg in args {
            query = query.bind(*arg);
        }
        let row = query.fetch_optional(&self.read).await?;
        row.map(|r| refund_from_row(&r)).transpose()
    }
}
