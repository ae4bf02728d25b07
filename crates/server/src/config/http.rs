//! The `[http]` section: how long a client may take and how many it may be at once, and who
//! may read `/metrics`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// How long a client may take to send a request's headers; then the connection is closed.
    /// A client that trickles its headers would otherwise hold a connection for ever.
    pub header_read_timeout_ms: u64,
    /// How long a request's body may take to arrive once its headers have.
    pub body_timeout_ms: u64,
    /// How long a request may take from its headers to its answer (`408` then).
    pub request_timeout_ms: u64,
    /// Connections open at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Requests handled at once; more wait (within `request_timeout_ms`) for a slot.
    pub max_concurrent_requests: usize,
    /// The bearer token `GET /metrics` and the details of `GET /readyz` require
    /// (`Authorization: Bearer <token>`). Empty: `/metrics` is not served, and `/readyz`
    /// answers without saying why it is not ready.
    pub metrics_token: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout_ms: 10_000,
            body_timeout_ms: 30_000,
            request_timeout_ms: 60_000,
            max_connections: 4_096,
            max_concurrent_requests: 512,
            metrics_token: String::new(),
        }
    }
}
