//! The `[janitor]` section: the worker that asks the bank about payments, refunds and debits
//! left without a result.

use serde::{Deserialize, Serialize};
use unipay_core::schedule::Schedule;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JanitorConfig {
    /// Delays between bank queries of a payment with no result; the last one repeats.
    pub query_schedule_ms: Schedule,
    pub poll_interval_ms: u64,
    /// How long a claimed payment is kept from other workers while it is queried.
    pub lease_ms: i64,
    pub batch_size: i64,
    pub concurrency: usize,
    /// Longer than any bank call. A new refund waits this long before the janitor may ask
    /// about it, so that a query never overtakes the refund it asks about; a refund or a
    /// single debit the bank says it never received is sent again (same number) only once it
    /// is this old, when no copy of the first request can still be on its way.
    pub resend_grace_ms: i64,
}

impl Default for JanitorConfig {
    fn default() -> Self {
        JanitorConfig {
            query_schedule_ms: Schedule::janitor_queries(),
            poll_interval_ms: 1_000,
            lease_ms: 60_000,
            batch_size: 64,
            concurrency: 16,
            resend_grace_ms: 120_000,
        }
    }
}
