//! Making a date's settlement batches: the day's figures per merchant and channel account, the
//! reconciliation items that block a merchant, and the batch rows.

use super::change::{Operator, audit_entry};
use super::{
    BATCH_COLUMNS, BatchStatus, Blocked, LINE_COLUMNS, SettleRun, SettlementBatch, SettlementLine,
    batch_from_row, settlement_csv,
};
use crate::{Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use unipay_core::ids::new_id;
use unipay_core::money::format_yuan;

/// Refund figures of one merchant on one channel account and date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct RefundTotals {
    count: i64,
    fen: i64,
    /// The share of our fees the refunds returned (by the fee plan's refund policy).
    fee_returned_fen: i64,
}

/// Collected and refunded figures of one merchant on one channel account and date.
#[derive(Debug, Clone, Default)]
struct DayFigures {
    payments: i64,
    payments_fen: i64,
    fees_fen: i64,
    refunds: RefundTotals,
}

type ByAccount = BTreeMap<String, DayFigures>;

impl Store {
    /// Makes the settlement batches of `accounting_date` (`YYYY-MM-DD`): one per merchant with
    /// successful payments (or refunds) that day and no batch yet (or only cancelled ones).
    /// A merchant whose channel accounts have open or held reconciliation items that day is
    /// refused unless `allow_open`; other merchants are settled all the same.
    pub async fn settle_day(
        &self,
        accounting_date: &str,
        actor: &str,
        from_address: &str,
        allow_open: bool,
        now_ms: i64,
    ) -> Result<SettleRun, StoreError> {
        let figures = self.day_figures(accounting_date).await?;
        let open_items = self
            .open_items_by_merchant(accounting_date, &figures)
            .await?;
        let mut run = SettleRun {
            accounting_date: accounting_date.to_string(),
            ..SettleRun::default()
        };
        let operator = Operator {
            actor,
            from_address,
            note: None,
            now_ms,
        };
        for (merchant_id, by_account) in &figures {
            let open = open_items.get(merchant_id).copied().unwrap_or(0);
            match self
                .settle_merchant(
                    merchant_id,
                    accounting_date,
                    by_account,
                    open,
                    allow_open,
                    operator,
                )
                .await?
            {
                MerchantOutcome::Created(batch) => run.created.push(batch),
                MerchantOutcome::Existing(batch) => run.existing.push(batch),
                MerchantOutcome::Blocked => run.blocked.push(Blocked {
                    merchant_id: merchant_id.clone(),
                    open_items: open,
                }),
            }
        }
        Ok(run)
    }
}

impl Store {
    /// Successful payments of the date (and refunds), by merchant and channel account.
    async fn day_figures(
        &self,
        accounting_date: &str,
    ) -> Result<BTreeMap<String, ByAccount>, StoreError> {
        let rows = sqlx::query(
            "SELECT merchant_id, channel_account_id, COUNT(*) AS payments, \
             CAST(SUM(COALESCE(captured_amount, amount)) AS BIGINT) AS payments_fen, CAST(SUM(fee) AS BIGINT) AS fees_fen \
             FROM payments WHERE status = 'succeeded' AND accounting_date = $1 \
             GROUP BY merchant_id, channel_account_id",
        )
        .bind(accounting_date)
        .fetch_all(&self.read)
        .await?;
        let mut figures: BTreeMap<String, ByAccount> = BTreeMap::new();
        for row in rows {
            let line = figures
                .entry(row.try_get("merchant_id")?)
                .or_default()
                .entry(row.try_get("channel_account_id")?)
                .or_default();
            line.payments = row.try_get("payments")?;
            line.payments_fen = row.try_get("payments_fen")?;
            line.fees_fen = row.try_get("fees_fen")?;
        }
        for ((merchant_id, channel_account_id), refunds) in
            self.refund_totals(accounting_date).await?
        {
            figures
                .entry(merchant_id)
                .or_default()
                .entry(channel_account_id)
                .or_default()
                .refunds = refunds;
        }
        Ok(figures)
    }

    /// THE place where refunds enter settlement: successful refunds of `accounting_date` (the
    /// bank's date of each refund) by (merchant, channel account), with the share of our fee
    /// each returned (fixed on the refund at creation by the fee plan's refund policy).
    /// Batches, lines, the CSV and the ledger postings all follow from these figures.
    async fn refund_totals(
        &self,
        accounting_date: &str,
    ) -> Result<BTreeMap<(String, String), RefundTotals>, StoreError> {
        let rows = sqlx::query(
            "SELECT merchant_id, channel_account_id, COUNT(*) AS refunds, CAST(SUM(amount) AS BIGINT) AS fen, \
             CAST(SUM(fee_returned) AS BIGINT) AS fee_returned FROM refunds \
             WHERE status = 'succeeded' AND accounting_date = $1 GROUP BY merchant_id, channel_account_id",
        )
        .bind(accounting_date)
        .fetch_all(&self.read)
        .await?;
        let mut totals = BTreeMap::new();
        for row in rows {
            totals.insert(
                (
                    row.try_get("merchant_id")?,
                    row.try_get("channel_account_id")?,
                ),
                RefundTotals {
                    count: row.try_get("refunds")?,
                    fen: row.try_get("fen")?,
                    fee_returned_fen: row.try_get("fee_returned")?,
                },
            );
        }
        Ok(totals)
    }

    /// Open or held reconciliation items of the date, counted per merchant over the channel
    /// accounts it owns and those its payments went through.
    async fn open_items_by_merchant(
        &self,
        accounting_date: &str,
        figures: &BTreeMap<String, ByAccount>,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.channel_account_id, c.merchant_id, COUNT(*) AS items FROM recon_items r \
             LEFT JOIN channel_accounts c ON c.id = r.channel_account_id \
             WHERE r.accounting_date = $1 AND r.status IN ('open', 'held') \
             GROUP BY r.channel_account_id, c.merchant_id",
        )
        .bind(accounting_date)
        .fetch_all(&self.read)
        .await?;
        let mut counts = BTreeMap::new();
        for (merchant_id, by_account) in figures {
            let mut seen = BTreeSet::new();
            let mut items = 0;
            for row in &rows {
                let account: String = row.try_get("channel_account_id")?;
                let owner: Option<String> = row.try_get("merchant_id")?;
                let concerns = owner.as_deref() == Some(merchant_id.as_str())
                    || by_account.contains_key(&account);
                if concerns && seen.insert(account) {
                    items += row.try_get::<i64, _>("items")?;
                }
            }
            if items > 0 {
                counts.insert(merchant_id.clone(), items);
            }
        }
        Ok(counts)
    }

    /// One merchant's batch for the date, in one transaction with its lines and audit entry.
    async fn settle_merchant(
        &self,
        merchant_id: &str,
        accounting_date: &str,
        by_account: &ByAccount,
        open_items: i64,
        allow_open: bool,
        operator: Operator<'_>,
    ) -> Result<MerchantOutcome, StoreError> {
        let mut tx = self.write.begin().await?;
        let latest = latest_batch(&mut tx, merchant_id, accounting_date).await?;
        let generation = match latest {
            Some(batch) if batch.status != BatchStatus::Cancelled => {
                return Ok(MerchantOutcome::Existing(batch));
            }
            Some(batch) => batch.generation + 1,
            None => 1,
        };
        if open_items > 0 && !allow_open {
            let detail = format!(
                "{merchant_id} {accounting_date}: {open_items} open reconciliation differences"
            );
            audit_entry(
                &mut tx,
                operator,
                "settlement.create",
                merchant_id,
                &detail,
                "refused",
            )
            .await?;
            tx.commit().await?;
            return Ok(MerchantOutcome::Blocked);
        }
        let batch = new_batch(
            merchant_id,
            accounting_date,
            generation,
            by_account,
            operator.now_ms,
        );
        if !insert_batch(&mut tx, &batch).await? {
            // A concurrent run made this generation first: report its batch.
            tx.rollback().await?;
            let mut tx = self.write.begin().await?;
            let latest = latest_batch(&mut tx, merchant_id, accounting_date).await?;
            tx.commit().await?;
            return latest
                .map(MerchantOutcome::Existing)
                .ok_or(StoreError::Conflict);
        }
        for line in lines_for(&batch.id, by_account) {
            insert_line(&mut tx, &line).await?;
        }
        let mut detail = format!(
            "{merchant_id} {accounting_date} generation {generation}: {} payments {}, refunds {}, fees {}, net {}",
            batch.payments,
            format_yuan(batch.payments_fen),
            format_yuan(batch.refunds_fen),
            format_yuan(batch.fees_fen),
            format_yuan(batch.net_fen)
        );
        if open_items > 0 {
            detail.push_str(&format!(
                "; {open_items} open reconciliation differences overridden"
            ));
        }
        audit_entry(
            &mut tx,
            operator,
            "settlement.create",
            &batch.id,
            &detail,
            "ok",
        )
        .await?;
        tx.commit().await?;
        Ok(MerchantOutcome::Created(batch))
    }
}

enum MerchantOutcome {
    Created(SettlementBatch),
    Existing(SettlementBatch),
    Blocked,
}

/// The merchant's newest batch of the date, read inside the transaction that may make the next.
async fn latest_batch(
    tx: &mut Transaction<'_, Any>,
    merchant_id: &str,
    accounting_date: &str,
) -> Result<Option<SettlementBatch>, StoreError> {
    let sql = format!(
        "SELECT {BATCH_COLUMNS} FROM settlement_batches WHERE merchant_id = $1 AND accounting_date = $2 \
         ORDER BY generation DESC LIMIT 1"
    );
    let row = sqlx::query(&sql)
        .bind(merchant_id)
        .bind(accounting_date)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| batch_from_row(&r)).transpose()
}

fn net_of(figures: &DayFigures) -> (i64, i64) {
    let fees = figures.fees_fen - figures.refunds.fee_returned_fen;
    (fees, figures.payments_fen - figures.refunds.fen - fees)
}

fn lines_for(batch_id: &str, by_account: &ByAccount) -> Vec<SettlementLine> {
    by_account
        .iter()
        .map(|(channel_account_id, figures)| {
            let (fees_fen, net_fen) = net_of(figures);
            SettlementLine {
                batch_id: batch_id.to_string(),
                channel_account_id: channel_account_id.clone(),
                payments: figures.payments,
                payments_fen: figures.payments_fen,
                refunds: figures.refunds.count,
                refunds_fen: figures.refunds.fen,
                fees_fen,
                net_fen,
            }
        })
        .collect()
}

fn new_batch(
    merchant_id: &str,
    accounting_date: &str,
    generation: i64,
    by_account: &ByAccount,
    now_ms: i64,
) -> SettlementBatch {
    let id = new_id("stl", now_ms);
    let lines = lines_for(&id, by_account);
    let mut batch = SettlementBatch {
        id,
        merchant_id: merchant_id.to_string(),
        accounting_date: accounting_date.to_string(),
        generation,
        status: BatchStatus::PendingReview,
        payments: lines.iter().map(|l| l.payments).sum(),
        payments_fen: lines.iter().map(|l| l.payments_fen).sum(),
        refunds: lines.iter().map(|l| l.refunds).sum(),
        refunds_fen: lines.iter().map(|l| l.refunds_fen).sum(),
        fees_fen: lines.iter().map(|l| l.fees_fen).sum(),
        net_fen: lines.iter().map(|l| l.net_fen).sum(),
        file_csv: String::new(),
        file_sha256: String::new(),
        created_at: now_ms,
        approved_by: None,
        approved_at: None,
        paid_by: None,
        paid_at: None,
        cancelled_by: None,
        cancelled_at: None,
    };
    batch.file_csv = settlement_csv(&batch, &lines);
    batch.file_sha256 = hex::encode(Sha256::digest(batch.file_csv.as_bytes()));
    batch
}

/// Inserts the batch unless its generation exists already (a racing run); false then.
async fn insert_batch(
    tx: &mut Transaction<'_, Any>,
    batch: &SettlementBatch,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO settlement_batches (id, merchant_id, accounting_date, generation, status, payments, \
         payments_fen, refunds, refunds_fen, fees_fen, net_fen, file_csv, file_sha256, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (merchant_id, accounting_date, generation) DO NOTHING",
    )
    .bind(&batch.id)
    .bind(&batch.merchant_id)
    .bind(&batch.accounting_date)
    .bind(batch.generation)
    .bind(batch.status.as_str())
    .bind(batch.payments)
    .bind(batch.payments_fen)
    .bind(batch.refunds)
    .bind(batch.refunds_fen)
    .bind(batch.fees_fen)
    .bind(batch.net_fen)
    .bind(&batch.file_csv)
    .bind(&batch.file_sha256)
    .bind(batch.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(inserted.rows_affected() == 1)
}

async fn insert_line(
    tx: &mut Transaction<'_, Any>,
    line: &SettlementLine,
) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO settlement_lines ({LINE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    sqlx::query(&sql)
        .bind(&line.batch_id)
        .bind(&line.channel_account_id)
        .bind(line.payments)
        .bind(line.payments_fen)
        .bind(line.refunds)
        .bind(line.refunds_fen)
        .bind(line.fees_fen)
        .bind(line.net_fen)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
