//! The state machine of a batch handed to the bank whole and carried out by it later: a refund
//! batch (批量退款) or a debit batch (批量代扣).
//!
//! ```text
//! created --accepted--> submitted --all lines final--> finished
//!    |  \------------------all lines final-----------> finished
//!    +--refused whole--> rejected
//! ```
//!
//! A batch is open (`created`, `submitted`) until it ends; only an open batch is asked about.
//! The table is a pure function like the payment's; the store turns a move's `from` states into
//! the status condition of its update, so that a late or repeated answer changes nothing.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BankBatchStatus {
    /// Written; not yet accepted by the bank.
    Created,
    /// Accepted by the bank (it named the batch); lines are being carried out.
    Submitted,
    /// Every line is final.
    Finished,
    /// The bank refused the batch as a whole: every line failed.
    Rejected,
}

impl BankBatchStatus {
    pub const ALL: [BankBatchStatus; 4] = [
        BankBatchStatus::Created,
        BankBatchStatus::Submitted,
        BankBatchStatus::Finished,
        BankBatchStatus::Rejected,
    ];

    /// The states a batch is asked about in: those it can still leave.
    pub const OPEN: &'static [BankBatchStatus] =
        &[BankBatchStatus::Created, BankBatchStatus::Submitted];

    pub fn as_str(self) -> &'static str {
        match self {
            BankBatchStatus::Created => "created",
            BankBatchStatus::Submitted => "submitted",
            BankBatchStatus::Finished => "finished",
            BankBatchStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<BankBatchStatus> {
        BankBatchStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    pub fn is_open(self) -> bool {
        BankBatchStatus::OPEN.contains(&self)
    }
}

impl fmt::Display for BankBatchStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the bank says about a batch as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BankBatchEvent {
    /// The bank took the batch and named it.
    Accepted,
    /// Every line has its final result.
    AllLinesFinal,
    /// The bank refused the batch as a whole before taking it.
    RefusedWhole,
}

/// Where an event may move a batch from, and where to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BankBatchMove {
    pub from: &'static [BankBatchStatus],
    pub to: BankBatchStatus,
}

impl BankBatchEvent {
    pub const ALL: [BankBatchEvent; 3] = [
        BankBatchEvent::Accepted,
        BankBatchEvent::AllLinesFinal,
        BankBatchEvent::RefusedWhole,
    ];

    /// The table: every event's allowed starting states and its target.
    pub fn step(self) -> BankBatchMove {
        use BankBatchStatus::{Created, Finished, Rejected, Submitted};
        match self {
            BankBatchEvent::Accepted => BankBatchMove {
                from: &[Created],
                to: Submitted,
            },
            BankBatchEvent::AllLinesFinal => BankBatchMove {
                from: BankBatchStatus::OPEN,
                to: Finished,
            },
            BankBatchEvent::RefusedWhole => BankBatchMove {
                from: &[Created],
                to: Rejected,
            },
        }
    }
}

/// The state `event` moves a batch to from `state`; `None` when it changes nothing there.
pub fn bank_batch_transition(
    state: BankBatchStatus,
    event: BankBatchEvent,
) -> Option<BankBatchStatus> {
    let step = event.step();
    step.from.contains(&state).then_some(step.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_diagram() {
        use BankBatchEvent::*;
        use BankBatchStatus::*;
        let expected = [
            (Created, Accepted, Some(Submitted)),
            (Created, AllLinesFinal, Some(Finished)),
            (Created, RefusedWhole, Some(Rejected)),
            (Submitted, Accepted, None),
            (Submitted, AllLinesFinal, Some(Finished)),
            (Submitted, RefusedWhole, None),
        ];
        for (state, event, to) in expected {
            assert_eq!(bank_batch_transition(state, event), to, "{state} {event:?}");
        }
    }

    #[test]
    fn ended_batches_never_move() {
        for state in [BankBatchStatus::Finished, BankBatchStatus::Rejected] {
            assert!(!state.is_open());
            for event in BankBatchEvent::ALL {
                assert_eq!(bank_batch_transition(state, event), None);
            }
        }
    }

    #[test]
    fn statuses_read_back() {
        for status in BankBatchStatus::ALL {
            assert_eq!(BankBatchStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(BankBatchStatus::parse("CREATED"), None);
    }
}
