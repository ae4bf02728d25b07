//! The `[notifier]` section: delivery of business notifications to merchants.

use serde::{Deserialize, Serialize};
use unipay_core::schedule::Schedule;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifierConfig {
    /// Delays before each delivery attempt of a business notification; then it is dead-lettered.
    pub schedule_ms: Schedule,
    pub poll_interval_ms: u64,
    pub lease_ms: i64,
    pub batch_size: i64,
    pub concurrency: usize,
    pub timeout_ms: u64,
    /// Whether this process delivers the notifications its own changes write at once. The
    /// command line turns it off and leaves them to the servers' notifiers: a short-lived
    /// process must not hold a delivery it may not live to finish.
    pub deliver_at_once: bool,
}

impl Default for NotifierConfig {
    fn default() -> Self {
        NotifierConfig {
            schedule_ms: Schedule::business_notifications(),
            poll_interval_ms: 1_000,
            // Longer than one delivery may take (`timeout_ms`), and no longer: the lease is how
            // long an event a dead node was delivering waits before another node sends it.
            lease_ms: 15_000,
            batch_size: 128,
            concurrency: 64,
            timeout_ms: 10_000,
            deliver_at_once: true,
        }
    }
}
