//! The `[books]` section: statements, reconciliation and settlement.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BooksConfig {
    /// Whether this node fetches yesterday's statements and reconciles them on its own.
    pub scheduled: bool,
    /// Hour of the day (UTC+8) after which yesterday's statement is fetched and reconciled.
    pub fetch_after_hour: u8,
    pub poll_interval_ms: u64,
    /// How many later days' statements a record missing from the bank's is looked for in
    /// (the cut-over moves records to the next accounting date) before it is a difference.
    pub hold_days: u32,
    /// Whether settlement of a date waits until its differences are all decided.
    pub block_settlement_on_open_differences: bool,
}

impl Default for BooksConfig {
    fn default() -> Self {
        BooksConfig {
            scheduled: true,
            fetch_after_hour: 10,
            poll_interval_ms: 60_000,
            hold_days: 3,
            block_settlement_on_open_differences: true,
        }
    }
}
