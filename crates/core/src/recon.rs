//! Reconciliation (对账): one channel account's bank statement for an accounting date against
//! our own payments and refunds of that date, matched by kind and number (a refund by its own
//! number), comparing status, amount and fee. No I/O.
//!
//! Built for ten million records a day on two cores in a few seconds and under half a gigabyte:
//! our side is a [`PlatformTable`] of 32-byte records (no heap object per record); the
//! [`Reconciler`] indexes it once (about 11 bytes a record) and then meets each statement line
//! as the parser streams it, so the statement is never held, and only differences become owned
//! objects. Keys are exact: our own order numbers pack into a `u128`, other numbers are compared
//! by their text.

mod batch;
mod bitset;
mod classify;
mod index;
mod key;
mod outcome;
mod reconciler;
mod table;
#[cfg(test)]
mod tests;

pub use outcome::{
    BankFacts, ClassCounts, DiffClass, Difference, PlatformFacts, PlatformStatus, ReconOutcome,
    SideTotals, Totals,
};
pub use reconciler::Reconciler;
pub use table::{MAX_ROWS, PlatformTable, TableFull};
