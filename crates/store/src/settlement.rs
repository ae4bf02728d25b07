//! Clearing and settlement (清分/结算): per merchant and accounting date, what was collected less
//! refunds and our fees is what the merchant is owed, kept as a batch an operator reviews,
//! approves and marks paid, or cancels: `pending_review → approved → paid`, or `cancelled`.
//!
//! Each state change is one transaction: the row (its current status checked in the WHERE
//! clause, so of two racing operators exactly one wins), the ledger entry and the audit entry.
//! A batch is unique per merchant, date and generation; a new generation is made only once the
//! previous one was cancelled, so settling a date twice creates nothing.

mod change;
mod create;
mod queries;

pub use queries::settlement_csv;

use crate::StoreError;
use sqlx::Row;
use sqlx::any::AnyRow;

/// A settlement batch moves by core's table (`unipay_core::settlement`).
pub use unipay_core::settlement::SettlementStatus as BatchStatus;

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
