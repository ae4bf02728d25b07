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
}

impl Default for KcodeConfig {
    fn default() -> Self {
        KcodeConfig {
            max_wrong_codes: 3,
            max_resends: 5,
            min_resend_interval_s: 60,
        }
    }
}
