//! Faults on single lines of batch refunds, and on whole batches, set with
//! `POST /sim/batches/fault`:
//!
//! ```json
//! {"fail_order_nos": ["O1", "R7"], "no_response_order_nos": ["O2"], "no_response_ms": 500,
//!  "refuse_batch_seq_nos": [5000]}
//! ```
//!
//! A new batch — a BatchRefund or an AgentBatch — with a line whose SeqNo is in
//! `refuse_batch_seq_nos` is refused whole (`2323` 批次拒绝受理) and not kept: nothing of it
//! is carried out. (A merchant sends a batch too large for one request as several, keeping each
//! line's SeqNo: the fault refuses the one holding that line.)
//!
//! A line matches when its original `OrderNo` or its own `NewOrderNo` is listed (either may be
//! named; a test usually knows both). A `fail` line fails with status `1` and `2313`
//! (商户账户余额不足), the refusal a real bank gives most; nothing is refunded. A `no_response`
//! line is refunded when the batch is processed, but its status stays `2` (no response) for
//! `no_response_ms` after that (default 1 s) before it reads `0`: the host did the work and the
//! report is late. When both lists name a line, it fails.
//!
//! The set is read when a batch is accepted, so changing it later does not change a batch
//! already in the bank; it stays until replaced or cleared with `DELETE`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// `no_response_ms` when the body does not give it.
pub const DEFAULT_NO_RESPONSE_MS: u64 = 1_000;
/// Order numbers both lists may hold together: a whole batch's worth, ten times over.
pub const MAX_LISTED: usize = 100_000;
/// Longest a line may stay without response: an hour is already longer than any test.
pub const MAX_NO_RESPONSE_MS: u64 = 3_600_000;

/// Sorted sets, so `GET` shows them in a stable order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchFaults {
    #[serde(default)]
    pub fail_order_nos: BTreeSet<String>,
    #[serde(default)]
    pub no_response_order_nos: BTreeSet<String>,
    #[serde(default)]
    pub no_response_ms: Option<u64>,
    #[serde(default)]
    pub refuse_batch_seq_nos: BTreeSet<u32>,
}

/// What a batch fault does to one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFault {
    Fail,
    NoResponse,
}

impl BatchFaults {
    /// Refuses sets beyond the bounds, so memory and lookups stay bounded.
    pub fn check(&self) -> Result<(), &'static str> {
        let listed = self
            .fail_order_nos
            .len()
            .saturating_add(self.no_response_order_nos.len())
            .saturating_add(self.refuse_batch_seq_nos.len());
        if listed > MAX_LISTED {
            return Err("at most 100000 order numbers in all lists together");
        }
        if self
            .no_response_ms
            .is_some_and(|ms| ms > MAX_NO_RESPONSE_MS)
        {
            return Err("no_response_ms must be at most 3600000");
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.fail_order_nos.is_empty() && self.no_response_order_nos.is_empty()
    }

    /// Whether a new batch with lines numbered `seq_nos` (as sent) is refused whole.
    pub fn refuses_batch<'a>(&self, mut seq_nos: impl Iterator<Item = &'a str>) -> bool {
        !self.refuse_batch_seq_nos.is_empty()
            && seq_nos.any(|no| {
                no.trim()
                    .parse::<u32>()
                    .is_ok_and(|no| self.refuse_batch_seq_nos.contains(&no))
            })
    }

    /// The fault for a line refunding `order_no` under its own number `new_order_no`.
    pub fn line_fault(&self, order_no: &str, new_order_no: &str) -> Option<LineFault> {
        let listed = |set: &BTreeSet<String>| set.contains(order_no) || set.contains(new_order_no);
        if listed(&self.fail_order_nos) {
            Some(LineFault::Fail)
        } else if listed(&self.no_response_order_nos) {
            Some(LineFault::NoResponse)
        } else {
            None
        }
    }

    pub fn no_response_ms(&self) -> u64 {
        self.no_response_ms.unwrap_or(DEFAULT_NO_RESPONSE_MS)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn matches_either_number_and_fail_wins() {
        let faults: BatchFaults = serde_json::from_str(
            r#"{"fail_order_nos":["O1","R9"],"no_response_order_nos":["O1","O2"],"no_response_ms":5}"#,
        )
        .unwrap();
        assert_eq!(faults.line_fault("O1", "R1"), Some(LineFault::Fail));
        assert_eq!(faults.line_fault("O3", "R9"), Some(LineFault::Fail));
        assert_eq!(faults.line_fault("O2", "R2"), Some(LineFault::NoResponse));
        assert_eq!(faults.line_fault("O4", "R4"), None);
        assert_eq!(faults.no_response_ms(), 5);
        assert_eq!(
            BatchFaults::default().no_response_ms(),
            DEFAULT_NO_RESPONSE_MS
        );
        assert!(serde_json::from_str::<BatchFaults>(r#"{"fail":["O1"]}"#).is_err());
        let slow = BatchFaults {
            no_response_ms: Some(MAX_NO_RESPONSE_MS + 1),
            ..BatchFaults::default()
        };
        assert!(slow.check().is_err());
    }
}
