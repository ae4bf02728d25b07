//! Faults a test or benchmark switches on through `/sim/faults`: the misbehaviour of the real
//! platform that the merchant must survive ("What the platform does that the merchant must
//! survive" in the protocol page).

use serde::{Deserialize, Serialize};

/// How long a `query: "timeout"` holds the request when `query_timeout_ms` is not given: longer
/// than any sensible client waits.
pub const DEFAULT_QUERY_HOLD_MS: u64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotifyFault {
    /// Server notifications are never sent (each scheduled attempt is swallowed).
    Drop,
    /// Each server notification attempt is sent twice.
    Duplicate,
    /// Each server notification attempt waits `notify_delay_ms` first.
    Delay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueryFault {
    /// Answer ReturnCode `EUNKWN`.
    #[serde(rename = "EUNKWN")]
    Unknown,
    /// Answer `0000` with Status `02` (no response).
    #[serde(rename = "02")]
    NoResponse,
    /// Hold the request, then cut the connection without an answer.
    #[serde(rename = "timeout")]
    Timeout,
}

/// The whole fault set; `POST /sim/faults` replaces it, every field optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    #[serde(default)]
    pub notify: Option<NotifyFault>,
    #[serde(default)]
    pub notify_delay_ms: Option<u64>,
    #[serde(default)]
    pub query: Option<QueryFault>,
    /// The query fault applies to the first K queries of each order made after this fault set
    /// was set; absent = every query.
    #[serde(default)]
    pub query_first: Option<u32>,
    /// How long `timeout` holds a query (default 30 s).
    #[serde(default)]
    pub query_timeout_ms: Option<u64>,
}

impl Faults {
    /// The fault for the `nth` (1-based) query of an order, if any.
    pub fn query_fault(&self, nth: u32) -> Option<QueryFault> {
        let applies = self.query_first.is_none_or(|first| nth <= first);
        self.query.filter(|_| applies)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_the_documented_shape() {
        let faults: Faults =
            serde_json::from_str(r#"{"notify":"duplicate","query":"EUNKWN","query_first":2}"#)
                .unwrap();
        assert_eq!(faults.notify, Some(NotifyFault::Duplicate));
        assert_eq!(faults.query_fault(1), Some(QueryFault::Unknown));
        assert_eq!(faults.query_fault(2), Some(QueryFault::Unknown));
        assert_eq!(faults.query_fault(3), None);
        let faults: Faults = serde_json::from_str(r#"{"query":"02","notify":null}"#).unwrap();
        assert_eq!(faults.query_fault(1000), Some(QueryFault::NoResponse));
        assert!(serde_json::from_str::<Faults>(r#"{"notfy":"drop"}"#).is_err());
        assert!(serde_json::from_str::<Faults>(r#"{"query":"03"}"#).is_err());
    }
}
