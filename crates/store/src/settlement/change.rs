//! An operator's moves of a batch (approve, mark paid, cancel) with their ledger and audit
//! entries.

use super::queries::lines_of;
use super::{BATCH_COLUMNS, BatchChange, BatchStatus, SettlementBatch, batch_from_row};
use crate::audit::{self, AuditEntry};
use crate::db::sql_states;
use crate::ledger;
use crate::{Store, StoreError};
use sqlx::{Any, Row, Transaction};
use unipay_core::ledger::{
    Account, EntryReason, JournalEntry, Posting, settlement_approved, settlement_paid,
};
use unipay_core::money::format_yuan;
use unipay_core::settlement::SettlementAction;

/// A state change an operator asks for: where from, where to, and who is recorded.
struct Move {
    action: &'static str,
    verb: &'static str,
    /// Where it may start and where it leads: core's table.
    rule: SettlementAction,
    by_column: &'static str,
    at_column: &'static str,
    /// Refused to the operator who approved the batch (separation of duties).
    not_by_approver: bool,
}

const APPROVE: Move = Move {
    action: "settlement.approve",
    verb: "approve",
    rule: SettlementAction::Approve,
    by_column: "approved_by",
    at_column: "approved_at",
    not_by_approver: false,
};

const MARK_PAID: Move = Move {
    action: "settlement.mark_paid",
    verb: "mark paid",
    rule: SettlementAction::MarkPaid,
    by_column: "paid_by",
    at_column: "paid_at",
    not_by_approver: false,
};

const MARK_PAID_BY_ANOTHER: Move = Move {
    not_by_approver: true,
    ..MARK_PAID
};

const CANCEL: Move = Move {
    action: "settlement.cancel",
    verb: "cancel",
    rule: SettlementAction::Cancel,
    by_column: "cancelled_by",
    at_column: "cancelled_at",
    not_by_approver: false,
};

/// Who asks for a change, for the audit log.
#[derive(Clone, Copy)]
pub(super) struct Operator<'a> {
    pub(super) actor: &'a str,
    pub(super) from_address: &'a str,
    pub(super) note: Option<&'a str>,
    pub(super) now_ms: i64,
}
impl Store {
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
    /// (`settlement_paid`). With `separate_duties`, refused (and audited) when `actor` is the
    /// one who approved the batch: who approves a payout does not also record it paid; the
    /// refusal is [`BatchChange::Refused`] with the batch still approved, by `actor`.
    pub async fn mark_batch_paid(
        &self,
        batch_id: &str,
        actor: &str,
        from_address: &str,
        note: Option<&str>,
        now_ms: i64,
        separate_duties: bool,
    ) -> Result<BatchChange, StoreError> {
        let operator = Operator {
            actor,
            from_address,
            note,
            now_ms,
        };
        let step = if separate_duties {
            &MARK_PAID_BY_ANOTHER
        } else {
            &MARK_PAID
        };
        self.move_batch(batch_id, step, operator).await
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

    /// Moves a batch if its status allows, with the ledger entry the move posts and the audit
    /// entry, in one transaction; a refusal is audited too.
    async fn move_batch(
        &self,
        batch_id: &str,
        step: &Move,
        operator: Operator<'_>,
    ) -> Result<BatchChange, StoreError> {
        let rule = step.rule.step();
        // The status check in the WHERE clause is what makes one of two racing moves lose:
        // the loser's update finds no row in an allowed status.
        let not_by_approver = if step.not_by_approver {
            " AND (approved_by IS NULL OR approved_by <> $2)"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE settlement_batches SET status = $1, {} = $2, {} = $3 \
             WHERE id = $4 AND status IN ({}){not_by_approver} RETURNING {BATCH_COLUMNS}",
            step.by_column,
            step.at_column,
            sql_states(rule.from, BatchStatus::as_str)
        );
        let mut tx = self.write.begin().await?;
        let updated = sqlx::query(&sql)
            .bind(rule.to.as_str())
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
            let same_approver = step.not_by_approver
                && batch.status == BatchStatus::Approved
                && batch.approved_by.as_deref() == Some(operator.actor);
            let detail = if same_approver {
                format!(
                    "cannot {} a batch one approved oneself{}",
                    step.verb,
                    note_suffix(operator.note)
                )
            } else {
                format!(
                    "cannot {} a batch that is {}{}",
                    step.verb,
                    batch.status.as_str(),
                    note_suffix(operator.note)
                )
            };
            audit_entry(&mut tx, operator, step.action, batch_id, &detail, "refused").await?;
            tx.commit().await?;
            return Ok(BatchChange::Refused(batch));
        };
        let batch = batch_from_row(&row)?;
        let entry = match rule.to {
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
            rule.to.as_str(),
            format_yuan(batch.net_fen),
            note_suffix(operator.note)
        );
        audit_entry(&mut tx, operator, step.action, batch_id, &detail, "ok").await?;
        tx.commit().await?;
        Ok(BatchChange::Changed { batch, entry_id })
    }
}

fn note_suffix(note: Option<&str>) -> String {
    note.map(|n| format!("; note: {n}")).unwrap_or_default()
}

pub(super) async fn audit_entry(
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
