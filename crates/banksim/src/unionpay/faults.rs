//! Faults the UnionPay mode can be told to show, as the ABC mode's `/sim/faults` does where
//! the two gateways behave alike: back notifications dropped, sent twice or late; queries
//! answering an unknown state; answers that never come in time; a missing file; answers and
//! notifications signed under a certificate out of date.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyFault {
    /// Every attempt is silently not sent.
    Drop,
    /// Every attempt is sent twice.
    Duplicate,
    /// Every attempt waits `notify_delay_ms` first.
    Delay,
}

/// Which certificate answers and notifications are signed under (`signPubKeyCert`, or the
/// `certId` of 5.0.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignCertFault {
    /// The signing key's certificate issued by the middle whose validity ended yesterday.
    Expired,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyFault>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_delay_ms: Option<u64>,
    /// A query that finds its order answers respCode 00 with this origRespCode (03, 04 or 05)
    /// instead of the real one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_orig_resp_code: Option<String>,
    /// Back transactions and queries answer respCode 03 (timeout) without acting.
    #[serde(default)]
    pub answer_timeout: bool,
    /// The file download answers 98 (no file) whatever the book holds.
    #[serde(default)]
    pub file_missing: bool,
    /// Back transactions and queries wait this long before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_delay_ms: Option<u64>,
    /// Answers and notifications (RSA and SM2) signed under another certificate of the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_cert: Option<SignCertFault>,
}

/// The longest delay a fault may ask for: a test that waits longer has lost its point.
pub const MAX_FAULT_DELAY_MS: u64 = 600_000;

#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    #[error("query_orig_resp_code must be 03, 04 or 05")]
    NotUnknownCode,
    #[error("delays are at most {MAX_FAULT_DELAY_MS} ms")]
    DelayTooLong,
}

impl Faults {
    pub fn check(&self) -> Result<(), FaultError> {
        if let Some(code) = &self.query_orig_resp_code
            && super::codes::unknown_code(code).is_none()
        {
            return Err(FaultError::NotUnknownCode);
        }
        let too_long = |delay: Option<u64>| delay.is_some_and(|ms| ms > MAX_FAULT_DELAY_MS);
        if too_long(self.notify_delay_ms) || too_long(self.answer_delay_ms) {
            return Err(FaultError::DelayTooLong);
        }
        Ok(())
    }
}
