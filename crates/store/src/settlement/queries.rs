//! Reads of settlement batches and the settlement file.

use super::{
    BATCH_COLUMNS, CSV_HEADER, LINE_COLUMNS, SettlementBatch, SettlementLine, batch_from_row,
};
use crate::{Store, StoreError};
use sqlx::Row;
use unipay_core::csv;
use unipay_core::money::format_yuan;

impl Store {
    pub async fn get_batch(&self, batch_id: &str) -> Result<Option<SettlementBatch>, StoreError> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM settlement_batches WHERE id = $1");
        let row = sqlx::query(&sql)
            .bind(batch_id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| batch_from_row(&r)).transpose()
    }

    /// Batches by date and merchant (each filter optional), oldest date first.
    pub async fn list_batches(
        &self,
        accounting_date: Option<&str>,
        merchant_id: Option<&str>,
    ) -> Result<Vec<SettlementBatch>, StoreError> {
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM settlement_batches \
             WHERE ($1 = '' OR accounting_date = $1) AND ($2 = '' OR merchant_id = $2) \
             ORDER BY accounting_date, merchant_id, generation"
        );
        let rows = sqlx::query(&sql)
            .bind(accounting_date.unwrap_or(""))
            .bind(merchant_id.unwrap_or(""))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(batch_from_row).collect()
    }

    /// A batch's lines, by channel account.
    pub async fn batch_lines(&self, batch_id: &str) -> Result<Vec<SettlementLine>, StoreError> {
        let mut conn = self.read.acquire().await?;
        lines_of(&mut conn, batch_id).await
    }
}

/// The settlement file: the header, a line per channel account, and a `TOTAL` line (in the
/// channel account column) with the batch's figures. Yuan with exactly two decimals.
pub fn settlement_csv(batch: &SettlementBatch, lines: &[SettlementLine]) -> String {
    let mut csv = String::with_capacity(CSV_HEADER.len() + 80 * (lines.len() + 2));
    csv.push_str(CSV_HEADER);
    csv.push('\n');
    let row = |account: &str, figures: [i64; 5]| {
        let [payments, payments_fen, refunds, refunds_fen, fees_fen] = figures;
        let net_fen = payments_fen - refunds_fen - fees_fen;
        format!(
            "{},{},{},{payments},{},{refunds},{},{},{}\n",
            csv::field(&batch.merchant_id),
            csv::field(&batch.accounting_date),
            csv::field(account),
            format_yuan(payments_fen),
            format_yuan(refunds_fen),
            format_yuan(fees_fen),
            format_yuan(net_fen)
        )
    };
    for line in lines {
        csv.push_str(&row(
            &line.channel_account_id,
            [
                line.payments,
                line.payments_fen,
                line.refunds,
                line.refunds_fen,
                line.fees_fen,
            ],
        ));
    }
    csv.push_str(&row(
        "TOTAL",
        [
            batch.payments,
            batch.payments_fen,
            batch.refunds,
            batch.refunds_fen,
            batch.fees_fen,
        ],
    ));
    csv
}

pub(super) async fn lines_of(
    conn: &mut sqlx::AnyConnection,
    batch_id: &str,
) -> Result<Vec<SettlementLine>, StoreError> {
    let sql = format!(
        "SELECT {LINE_COLUMNS} FROM settlement_lines WHERE batch_id = $1 ORDER BY channel_account_id"
    );
    let rows = sqlx::query(&sql).bind(batch_id).fetch_all(conn).await?;
    rows.iter()
        .map(|r| {
            Ok(SettlementLine {
                batch_id: r.try_get("batch_id")?,
                channel_account_id: r.try_get("channel_account_id")?,
                payments: r.try_get("payments")?,
                payments_fen: r.try_get("payments_fen")?,
                refunds: r.try_get("refunds")?,
                refunds_fen: r.try_get("refunds_fen")?,
                fees_fen: r.try_get("fees_fen")?,
                net_fen: r.try_get("net_fen")?,
            })
        })
        .collect()
}
