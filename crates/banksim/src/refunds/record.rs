//! One refund as the bank keeps it, on the order it refunds.

use crate::faults::FaultCounter;
use crate::stamp::Stamp;
use std::sync::Arc;

/// A ReturnCode and its ErrorMessage (see [`crate::codes`]).
pub type Code = (&'static str, &'static str);

/// What became of a refund the bank took in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Money went back. `unknown_until_ms` (Unix ms): the batch `no_response` fault keeps the
    /// bank from reporting it before then, though it is already done and counts against the
    /// refundable amount.
    Succeeded {
        stamp: Stamp,
        unknown_until_ms: Option<i64>,
    },
    /// A batch line the bank refused: kept, so its number answers the same way again.
    Failed { code: Code },
}

/// How the bank reports a refund at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    Succeeded,
    Failed,
    /// Done, not yet reported (the `no_response` window).
    Unknown,
}

impl RefundStatus {
    /// Query's `Status` for the refund read as an order: `04`, `99`, `02`.
    pub fn query_code(self) -> &'static str {
        match self {
            RefundStatus::Succeeded => "04",
            RefundStatus::Failed => "99",
            RefundStatus::Unknown => "02",
        }
    }

    /// A batch line's status: `0`, `1`, `2` (`X` is a line not yet processed).
    pub fn line_code(self) -> &'static str {
        match self {
            RefundStatus::Succeeded => "0",
            RefundStatus::Failed => "1",
            RefundStatus::Unknown => "2",
        }
    }

    /// For the sim API.
    pub fn name(self) -> &'static str {
        match self {
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
            RefundStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Refund {
    /// NewOrderNo: the refund's own number, unique per merchant.
    pub new_order_no: Arc<str>,
    pub amount_fen: i64,
    /// The request's OrderDate and OrderTime (a batch line: BatchDate and BatchTime).
    pub order_date: String,
    pub order_time: String,
    pub outcome: RefundOutcome,
    /// The SerialNumber of the batch that carried it; `None` for a single Refund.
    pub batch_serial: Option<Arc<str>>,
    /// Queries of its NewOrderNo, and the count the `query` fault goes by.
    pub query_count: u32,
    pub query_faults: FaultCounter,
}

impl Refund {
    pub fn status(&self, now_ms: i64) -> RefundStatus {
        match &self.outcome {
            RefundOutcome::Failed { .. } => RefundStatus::Failed,
            RefundOutcome::Succeeded {
                unknown_until_ms: Some(until),
                ..
            } if now_ms < *until => RefundStatus::Unknown,
            RefundOutcome::Succeeded { .. } => RefundStatus::Succeeded,
        }
    }

    /// What it takes off the refundable amount: a done refund, reported or not.
    pub fn reserved_fen(&self) -> i64 {
        match self.outcome {
            RefundOutcome::Succeeded { .. } => self.amount_fen,
            RefundOutcome::Failed { .. } => 0,
        }
    }

    /// Why the bank refused it, for a failed batch line.
    pub fn failure(&self) -> Option<Code> {
        match self.outcome {
            RefundOutcome::Failed { code } => Some(code),
            RefundOutcome::Succeeded { .. } => None,
        }
    }

    pub fn stamp(&self) -> Option<&Stamp> {
        match &self.outcome {
            RefundOutcome::Succeeded { stamp, .. } => Some(stamp),
            RefundOutcome::Failed { .. } => None,
        }
    }

    /// Counts a query of its number; returns its 1-based number under the fault set of
    /// `generation`.
    pub fn count_query(&mut self, generation: u64) -> u32 {
        self.query_count = self.query_count.saturating_add(1);
        self.query_faults.count(generation)
    }
}
