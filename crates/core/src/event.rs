//! Where a fact about a payment came from: shown on every timeline entry.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventSource {
    Api,
    Cashier,
    PageNotification,
    ServerNotification,
    Query,
    Expirer,
    Reconciliation,
    Console,
}

impl EventSource {
    pub fn as_str(self) -> &'static str {
        match self {
            EventSource::Api => "api",
            EventSource::Cashier => "cashier",
            EventSource::PageNotification => "page_notification",
            EventSource::ServerNotification => "server_notification",
            EventSource::Query => "query",
            EventSource::Expirer => "expirer",
            EventSource::Reconciliation => "reconciliation",
            EventSource::Console => "console",
        }
    }
}
