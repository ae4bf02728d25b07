//! The `[inbound]` section: what the surfaces anyone may reach without credentials (the bank's
//! callbacks, the sign-in form) take from one source, and what they keep of what they refuse.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InboundConfig {
    /// Bank messages (`/callbacks/...`) one address may post per minute; more are answered 429
    /// and the bank sends them again. The bank's servers post every notification of every
    /// payment, so this is generous. 0: no limit.
    pub callbacks_per_source_per_minute: u32,
    /// Refused unauthenticated input (a bank message that fails verification, a sign-in form
    /// without its token or for an unknown user) written down per source per minute, with its
    /// hash and reason; the rest is only counted (`unipay_unauthenticated_refusals_total`).
    /// 0: every one is written down.
    pub refused_samples_per_minute: u32,
    /// Seconds a refused bank message that names no payment (one that failed verification,
    /// kept as its hash and reason) is kept after it was last seen, before the pruner deletes it.
    pub refused_retention_s: i64,
}

impl Default for InboundConfig {
    fn default() -> Self {
        InboundConfig {
            callbacks_per_source_per_minute: 6_000,
            refused_samples_per_minute: 10,
            // Six months: the shortest time security logs are kept for review.
            refused_retention_s: 180 * 86_400,
        }
    }
}
