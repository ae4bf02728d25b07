//! The `[api]` section: the merchant API's limits.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// How far a request's timestamp may be from the server's clock, and how long nonces are kept.
    pub signature_window_s: i64,
    pub max_body_bytes: usize,
    /// The body limit of `POST /v1/refund-batches`, whose 10,000 lines need far more room.
    pub max_batch_body_bytes: usize,
    /// Default life of a payment when the request names none.
    pub default_expires_in_s: i64,
    pub max_expires_in_s: i64,
    /// How long an `Idempotency-Key` replays its first answer.
    pub idempotency_key_ttl_s: i64,
    /// Calls of `GET /v1/channel-transactions` an app may make a minute (and at once): each
    /// has the bank send a file of the channel account's records. 0: no limit.
    pub channel_transactions_per_minute: u32,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            signature_window_s: 300,
            max_body_bytes: 64 * 1024,
            max_batch_body_bytes: 4 * 1024 * 1024,
            default_expires_in_s: 1800,
            max_expires_in_s: 7 * 24 * 3600,
            idempotency_key_ttl_s: 24 * 3600,
            channel_transactions_per_minute: 6,
        }
    }
}
