//! The `[kcode]` section: K-code payment's limits on wrong codes and resends.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KcodeConfig {
    /// Wrong codes a payment takes; the last one fails it (the bank has its own limit too:
    /// whichever is reached first fails the payment).
    pub max_wrong_codes: i64,
    /// Resends a payment may ask for.
    pub max_resends: i64,
    /// Seconds between a code and the next resend: each text costs, and floods are abuse.
    pub min_resend_interval_s: i64,
    /// Bills (card and mobile sent to the bank) a payment may ask for, refused ones included;
    /// the payment fails at the last refusal, so that a payment link cannot be used to try
    /// card after card.
    pub max_bills: i64,
    /// Bills the cashier sends per minute for one address, over all payments. 0: no limit.
    pub cashier_bills_per_source_per_minute: u32,
}

impl Default for KcodeConfig {
    fn default() -> Self {
        KcodeConfig {
            max_wrong_codes: 3,
            max_resends: 5,
            min_resend_interval_s: 60,
            max_bills: 3,
            cashier_bills_per_source_per_minute: 10,
        }
    }
}
