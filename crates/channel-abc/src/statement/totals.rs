//! The totals an answer declares (NumOfPayments, SumOfPayAmount, ...) against what was read:
//! a file that does not add up is incomplete, damaged, or holds lines we could not read.

use unipay_core::money::format_yuan;
use unipay_core::statement::{StatementSummary, StatementTotals};

/// The declared and the read totals of a statement that does not add up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the statement declares {} but holds {}{}",
    describe(&self.declared),
    describe(&self.read),
    unreadable_note(self.unreadable_lines)
)]
pub struct TotalsMismatch {
    pub declared: StatementTotals,
    pub read: StatementTotals,
    /// Lines that could not be read: often why the totals differ.
    pub unreadable_lines: u64,
}

/// `Ok` when the lines read add up to what the answer declared.
pub fn check_declared(
    summary: &StatementSummary,
    declared: &StatementTotals,
) -> Result<(), TotalsMismatch> {
    if summary.read == *declared {
        return Ok(());
    }
    Err(TotalsMismatch {
        declared: *declared,
        read: summary.read,
        unreadable_lines: summary.unreadable_lines,
    })
}

fn describe(totals: &StatementTotals) -> String {
    format!(
        "{} payments of {} yuan and {} refunds of {} yuan",
        totals.payments,
        format_yuan(totals.payments_fen),
        totals.refunds,
        format_yuan(totals.refunds_fen)
    )
}

fn unreadable_note(lines: u64) -> String {
    match lines {
        0 => String::new(),
        1 => " (1 line could not be read)".to_string(),
        n => format!(" ({n} lines could not be read)"),
    }
}
