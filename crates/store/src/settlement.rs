//! Clearing and settlement (清分/结算): per merchant and accounting date, what was collected less
//! refunds and our fees is what the merchant is owed, kept as a batch an operator reviews,
//! approves and marks paid, or cancels: `pending_review → approved → paid`, or `cancelled`.
//!
//! Each state change is one transaction: the row (its current status checked in the WHERE
//! clause, so of two racing operators exactly one wins), the ledger entry and the audit entry.
//! A batch is unique per merchant, date and generation; a new generation is made only once the
//! previous one was cancelled, so settling a date twice creates nothing.

use crate::audit::{self, AuditEntry};
use crate::ledger;
use crate::{Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use std::collections::{BTreeMap, BTreeSet};
use unipay_core::ids::new_id;
use unipay_core::ledger::{
    Account, EntryReason, JournalEntry, Posting, settlement_approved, settlement_paid,
};
use unipay_core::money::format_yuan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchStatus {
    PendingReview,
    Approved,
    Paid,
    Cancelled,
}

impl BatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchStatus::PendingReview => "pending_review",
            BatchStatus::Approved => "approved",
            BatchStatus::Paid => "paid",
            BatchStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<BatchStatus> {
        [
            BatchStatus::PendingReview,
            BatchStatus::Approved,
            BatchStatus::Paid,
            BatchStatus::Cancelled,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// One merchant's settlement of one accounting date. Amounts are fen; `net_fen` is
/// `payments_fen − refunds_fen − fees_fen`, `fees_fen` being our fees less any refunded share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementBatch {
    pub id: String,
    pub merchant_id: String,
    pub accounting_date: String,
    pub generation: i64,
    pub status: BatchStatus,
    pub payments: i64,
    pub payments_fen: i64,
    pub refunds: i64,
    pub refunds_fen: i64,
    pub fees_fen: i64,
    pub net_fen: i64,
    /// The settlement file, fixed when the batch is made.
    pub file_csv: String,
    /// Hex SHA-256 of `file_csv`.
    pub file_sha256: String,
    pub created_at: i64,
    pub approved_by: Option<String>,
    pub approved_at: Option<i64>,
    pub paid_by: Option<String>,
    pub paid_at: Option<i64>,
    pub cancelled_by: Option<String>,
    pub cancelled_at: Option<i64>,
}

/// A batch's share collected through one channel account: what that bank account pays out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementLine {
    pub batch_id: String,
    pub channel_account_id: String,
    pub payments: i64,
    pub payments_fen: i64,
    pub refunds: i64,
    pub refunds_fen: i64,
    pub fees_fen: i64,
    pub net_fen: i64,
}

/// A merchant left unsettled because its channel accounts have open reconciliation
/// differences on the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub merchant_id: String,
    pub open_items: i64,
}

/// What one settle run did, merchant by merchant.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SettleRun {
    pub accounting_date: String,
    pub created: Vec<SettlementBatch>,
    /// Batches made before (not cancelled): a repeated run reports them and makes nothing.
    pub existing: Vec<SettlementBatch>,
    pub blocked: Vec<Blocked>,
}

impl SettleRun {
    /// True when some merchant was refused for open differences.
    pub fn refused(&self) -> bool {
        !self.blocked.is_empty()
    }

    /// The open or held reconciliation items that refused the run.
    pub fn blocking_items(&self) -> i64 {
        self.blocked.iter().map(|b| b.open_items).sum()
    }
}

/// The outcome of asking a batch to move.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchChange {
    /// It moved; `entry_id` is the ledger entry posted with it (none when nothing moved money:
    /// a zero net, or cancelling a batch never approved).
    Changed {
        batch: SettlementBatch,
        entry_id: Option<String>,
    },
    /// Its status does not allow the move (e.g. paid before approved, or a racing operator
    /// moved it first); the batch as it stands.
    Refused(SettlementBatch),
    NotFound,
}

/// The settlement file's header; one line per channel account follows, then a `TOTAL` line.
pub const CSV_HEADER: &str = "merchant_id,accounting_date,channel_account_id,payments,payments_yuan,refunds,refunds_yuan,fees_yuan,net_yuan";

const BATCH_COLUMNS: &str = "id, merchant_id, accounting_date, generation, status, payments, payments_fen, \
     refunds, refunds_fen, fees_fen, net_fen, file_csv, file_sha256, created_at, approved_by, approved_at, \
     paid_by, paid_at, cancelled_by, cancelled_at";

const LINE_COLUMNS: &str =
    "batch_id, channel_account_id, payments, payments_fen, refunds, refunds_fen, fees_fen, net_fen";

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

/// A state change an operator asks for: where from, where to, and who is recorded.
struct Move {
    action: &'static str,
    verb: &'static str,
    from: &'static [BatchStatus],
    to: BatchStatus,
    by_column: &'static str,
    at_column: &'static str,
}

const APPROVE: Move = Move {
    action: "settlement.approve",
    verb: "approve",
    from: &[BatchStatus::PendingReview],
    to: BatchStatus::Approved,
    by_column: "approved_by",
    at_column: "approved_at",
};

const MARK_PAID: Move = Move {
    action: "settlement.mark_paid",
    verb: "mark paid",
    from: &[BatchStatus::Approved],
    to: BatchStatus::Paid,
    by_column: "paid_by",
    at_column: "paid_at",
};

const CANCEL: Move = Move {
    action: "settlement.cancel",
    verb: "cancel",
    from: &[BatchStatus::PendingReview, BatchStatus::Approved],
    to: BatchStatus::Cancelled,
    by_column: "cancelled_by",
    at_column: "cancelled_at",
};

/// Who asks for a change, for the audit log.
#[derive(Clone, Copy)]
struct Operator<'a> {
    actor: &'a str,
    from_address: &'a str,
    note: Option<&'a str>,
    now_ms: i64,
}

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

    /// Approves a batch under review: sets its net aside for payout (`settlement_approved`).
    pub async fn approve_batch(
        &self,
        batch_id: &str,
        actor: &str,
        from_address: &str,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<BatchChange, StoreError> {
        let operator = Operator {
            actor,
            from_address,
            note,
            now_ms,
        };
        self.move_batch(batch_id, &APPROVE, operator).await
    }

    /// Records an approved batch as paid out of the bank accounts that collected it
    /// (`settlement_paid`).
    pub async fn mark_batch_paid(
        &self,
        batch_id: &str,
        actor: &str,
        from_address: &str,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<BatchChange, StoreError> {
        let operator = Operator {
            actor,
            from_address,
            note,
            now_ms,
        };
        self.move_batch(batch_id, &MARK_PAID, operator).await
    }

    /// Cancels a batch not yet paid; an approved one gets its approval reversed. The date can
    /// then be settled again for the merchant, as the next generation.
    pub async fn cancel_batch(
        &self,
        batch_id: &str,
        actor: &str,
        from_address: &str,
        note: Option<&str>,
        now_ms: i64,
    ) -> Result<BatchChange, StoreError> {
        let operator = Operator {
            actor,
            from_address,
            note,
            now_ms,
        };
        self.move_batch(batch_id, &CANCEL, operator).await
    }

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

    /// Moves a batch if its status allows, with the ledger entry the move posts and the audit
    /// entry, in one transaction; a refusal is audited too.
    async fn move_batch(
        &self,
        batch_id: &str,
        step: &Move,
        operator: Operator<'_>,
    ) -> Result<BatchChange, StoreError> {
        let allowed: Vec<String> = step
            .from
            .iter()
            .map(|status| format!("'{}'", status.as_str()))
            .collect();
        // The status check in the WHERE clause is what makes one of two racing moves lose:
        // the loser's update finds no row in an allowed status.
        let sql = format!(
            "UPDATE settlement_batches SET status = $1, {} = $2, {} = $3 \
             WHERE id = $4 AND status IN ({}) RETURNING {BATCH_COLUMNS}",
            step.by_column,
            step.at_column,
            allowed.join(", ")
        );
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(&sql)
            .bind(step.to.as_str())
            .bind(operator.actor)
            .bind(operator.now_ms)
            .bind(batch_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = updated else {
            let sql = format!("SELECT {BATCH_COLUMNS} FROM settlement_batches WHERE id = $1");
            let Some(row) = sqlx::query(&sql)
                .bind(batch_id)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(BatchChange::NotFound);
            };
            let batch = batch_from_row(&row)?;
            let detail = format!(
                "cannot {} a batch that is {}{}",
                step.verb,
                batch.status.as_str(),
                note_suffix(operator.note)
            );
            audit_entry(&mut tx, operator, step.action, batch_id, &detail, "refused").await?;
            tx.commit().await?;
            return Ok(BatchChange::Refused(batch));
        };
        let batch = batch_from_row(&row)?;
        let entry = match step.to {
            BatchStatus::Approved => approval_entry(&batch)?,
            BatchStatus::Paid => payout_entry(&mut tx, &batch).await?,
            BatchStatus::Cancelled => approval_reversal(&mut tx, &batch).await?,
            BatchStatus::PendingReview => None,
        };
        let entry_id = match &entry {
            Some(entry) => ledger::post(&mut tx, entry, operator.now_ms).await?,
            None => None,
        };
        let entry_note = entry_id
            .as_deref()
            .map(|id| format!(", entry {id}"))
            .unwrap_or_default();
        let detail = format!(
            "now {}: net {}{entry_note}{}",
            step.to.as_str(),
            format_yuan(batch.net_fen),
            note_suffix(operator.note)
        );
        audit_entry(&mut tx, operator, step.action, batch_id, &detail, "ok").await?;
        tx.commit().await?;
        Ok(BatchChange::Changed { batch, entry_id })
    }
}

enum MerchantOutcome {
    Created(SettlementBatch),
    Existing(SettlementBatch),
    Blocked,
}

fn note_suffix(note: Option<&str>) -> String {
    note.map(|n| format!("; note: {n}")).unwrap_or_default()
}

async fn audit_entry(
    tx: &mut Transaction<'_, Any>,
    operator: Operator<'_>,
    action: &str,
    target: &str,
    detail: &str,
    outcome: &str,
) -> Result<(), StoreError> {
    audit::record(
        tx,
        &AuditEntry {
            actor: operator.actor,
            action,
            target,
            detail,
            from_address: operator.from_address,
            outcome,
            now_ms: operator.now_ms,
        },
    )
    .await
}

/// The approval entry; none for a zero net, which sets nothing aside.
fn approval_entry(batch: &SettlementBatch) -> Result<Option<JournalEntry>, StoreError> {
    if batch.net_fen == 0 {
        return Ok(None);
    }
    settlement_approved(
        &batch.id,
        &batch.merchant_id,
        batch.net_fen,
        &batch.accounting_date,
    )
    .map(Some)
    .map_err(|e| StoreError::Corrupt(format!("batch {}: {e}", batch.id)))
}

/// The payout entry: each channel account's bank pays its line's net.
async fn payout_entry(
    tx: &mut Transaction<'_, Any>,
    batch: &SettlementBatch,
) -> Result<Option<JournalEntry>, StoreError> {
    let lines = lines_of(tx, &batch.id).await?;
    if lines.iter().all(|line| line.net_fen == 0) {
        return Ok(None);
    }
    let per_account: Vec<(String, i64)> = lines
        .into_iter()
        .map(|line| (line.channel_account_id, line.net_fen))
        .collect();
    settlement_paid(
        &batch.id,
        &batch.merchant_id,
        &per_account,
        &batch.accounting_date,
    )
    .map(Some)
    .map_err(|e| StoreError::Corrupt(format!("batch {}: {e}", batch.id)))
}

/// The reversal of the batch's approval entry, if it was approved: read from the ledger
/// itself, so what is undone is exactly what was posted.
async fn approval_reversal(
    tx: &mut Transaction<'_, Any>,
    batch: &SettlementBatch,
) -> Result<Option<JournalEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT e.id, e.memo, p.account, p.amount FROM journal_entries e \
         JOIN postings p ON p.entry_id = e.id WHERE e.reason = $1 AND e.cause_id = $2 ORDER BY p.id",
    )
    .bind(EntryReason::SettlementApproved.as_str())
    .bind(&batch.id)
    .fetch_all(&mut **tx)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let entry_id: String = first.try_get("id")?;
    let mut postings = Vec::with_capacity(rows.len());
    for row in &rows {
        let account: String = row.try_get("account")?;
        postings.push(Posting {
            account: Account::parse(&account)
                .ok_or_else(|| StoreError::Corrupt(format!("ledger account {account:?}")))?,
            amount: row.try_get("amount")?,
        });
    }
    let approved = JournalEntry {
        reason: EntryReason::SettlementApproved,
        cause_id: batch.id.clone(),
        accounting_date: batch.accounting_date.clone(),
        memo: first.try_get("memo")?,
        postings,
    };
    approved
        .reversal(&entry_id, &batch.accounting_date)
        .map(Some)
        .map_err(|e| StoreError::Corrupt(format!("entry {entry_id}: {e}")))
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
            csv_field(&batch.merchant_id),
            csv_field(&batch.accounting_date),
            csv_field(account),
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

/// Quotes a field that would otherwise break the row (RFC 4180); ids rarely need it.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
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

async fn lines_of(
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

fn batch_from_row(r: &AnyRow) -> Result<SettlementBatch, StoreError> {
    let status: String = r.try_get("status")?;
    Ok(SettlementBatch {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        accounting_date: r.try_get("accounting_date")?,
        generation: r.try_get("generation")?,
        status: BatchStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("settlement batch status {status:?}")))?,
        payments: r.try_get("payments")?,
        payments_fen: r.try_get("payments_fen")?,
        refunds: r.try_get("refunds")?,
        refunds_fen: r.try_get("refunds_fen")?,
        fees_fen: r.try_get("fees_fen")?,
        net_fen: r.try_get("net_fen")?,
        file_csv: r.try_get("file_csv")?,
        file_sha256: r.try_get("file_sha256")?,
        created_at: r.try_get("created_at")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: r.try_get("approved_at")?,
        paid_by: r.try_get("paid_by")?,
        paid_at: r.try_get("paid_at")?,
        cancelled_by: r.try_get("cancelled_by")?,
        cancelled_at: r.try_get("cancelled_at")?,
    })
}
