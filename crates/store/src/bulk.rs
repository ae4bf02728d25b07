//! Filling a database fast with a day of payments, for benchmarks: rows go in hundreds per
//! statement and many thousands per transaction. They bypass the state machine (no events, no
//! ledger entries, no notifications), so this is never used on a database that serves payments.

use crate::{Store, StoreError};

/// One payment as a benchmark wants it to stand.
#[derive(Debug, Clone, Copy)]
pub struct BenchPayment<'a> {
    pub id: &'a str,
    pub order_no: &'a str,
    pub amount: i64,
    pub bank_fee: i64,
    /// `succeeded` (with an accounting date) or `pending` (without).
    pub status: &'a str,
    pub accounting_date: Option<&'a str>,
}

/// Who the payments belong to.
#[derive(Debug, Clone, Copy)]
pub struct BenchOwner<'a> {
    pub app_id: &'a str,
    pub merchant_id: &'a str,
    pub channel_account_id: &'a str,
    pub now_ms: i64,
}

// Not more: sqlx binds SQLite parameters by name, at a cost that grows with their number.
const ROWS_PER_STATEMENT: usize = 64;
const PARAMS_PER_ROW: usize = 6;

impl Store {
    pub async fn insert_payments_for_benchmark(
        &self,
        owner: &BenchOwner<'_>,
        payments: &[BenchPayment<'_>],
    ) -> Result<(), StoreError> {
        let mut tx = self.write.begin().await?;
        for chunk in payments.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::with_capacity(400 + chunk.len() * 120);
            sql.push_str(
                "INSERT INTO payments (id, app_id, merchant_id, channel_account_id, channel, out_trade_no, order_no, \
                 amount, currency, subject, status, accounting_date, paid_at, expires_at, created_at, updated_at, \
                 version, query_attempts, fee, bank_fee) VALUES ",
            );
            for index in 0..chunk.len() {
                let p = 5 + index * PARAMS_PER_ROW;
                if index > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${p}, $1, $2, $3, 'abc', ${p}, ${}, ${}, 'CNY', 'bench', ${}, ${}, $4, $4, $4, $4, 1, 0, 0, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5
                ));
            }
            let mut query = sqlx::query(&sql)
                .bind(owner.app_id)
                .bind(owner.merchant_id)
                .bind(owner.channel_account_id)
                .bind(owner.now_ms);
            for payment in chunk {
                query = query
                    .bind(payment.id)
                    .bind(payment.order_no)
                    .bind(payment.amount)
                    .bind(payment.status)
                    .bind(payment.accounting_date)
                    .bind(payment.bank_fee);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
