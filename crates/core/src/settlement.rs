//! The settlement batch's state machine: an operator reviews a merchant's batch of a date,
//! approves it and marks it paid, or cancels it (an approved one too, until it is paid).
//!
//! ```text
//! pending_review --approve--> approved --mark_paid--> paid
//!       |                        |
//!       +--------cancel----------+--> cancelled
//! ```
//!
//! The table is a pure function like the payment's; the store turns a move's `from` states
//! into the status condition of its update, so that of two racing operators exactly one wins.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettlementStatus {
    PendingReview,
    Approved,
    Paid,
    Cancelled,
}

impl SettlementStatus {
    pub const ALL: [SettlementStatus; 4] = [
        SettlementStatus::PendingReview,
        SettlementStatus::Approved,
        SettlementStatus::Paid,
        SettlementStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SettlementStatus::PendingReview => "pending_review",
            SettlementStatus::Approved => "approved",
            SettlementStatus::Paid => "paid",
            SettlementStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<SettlementStatus> {
        SettlementStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

impl fmt::Display for SettlementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operator asks of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettlementAction {
    Approve,
    MarkPaid,
    Cancel,
}

/// Where an action may start and where it leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementMove {
    pub from: &'static [SettlementStatus],
    pub to: SettlementStatus,
}

impl SettlementAction {
    pub const ALL: [SettlementAction; 3] = [
        SettlementAction::Approve,
        SettlementAction::MarkPaid,
        SettlementAction::Cancel,
    ];

    /// The table: every action's allowed starting states and its target.
    pub fn step(self) -> SettlementMove {
        use SettlementStatus::{Approved, Cancelled, Paid, PendingReview};
        match self {
            SettlementAction::Approve => SettlementMove {
                from: &[PendingReview],
                to: Approved,
            },
            SettlementAction::MarkPaid => SettlementMove {
                from: &[Approved],
                to: Paid,
            },
            SettlementAction::Cancel => SettlementMove {
                from: &[PendingReview, Approved],
                to: Cancelled,
            },
        }
    }
}

/// The state `action` leads to from `state`; `None` when the action is refused there.
pub fn settlement_transition(
    state: SettlementStatus,
    action: SettlementAction,
) -> Option<SettlementStatus> {
    let step = action.step();
    step.from.contains(&state).then_some(step.to)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_the_diagram() {
        use SettlementAction::*;
        use SettlementStatus::*;
        let expected = [
            (PendingReview, Approve, Some(Approved)),
            (PendingReview, MarkPaid, None),
            (PendingReview, Cancel, Some(Cancelled)),
            (Approved, Approve, None),
            (Approved, MarkPaid, Some(Paid)),
            (Approved, Cancel, Some(Cancelled)),
            (Paid, Approve, None),
            (Paid, MarkPaid, None),
            (Paid, Cancel, None),
            (Cancelled, Approve, None),
            (Cancelled, MarkPaid, None),
            (Cancelled, Cancel, None),
        ];
        for (state, action, to) in expected {
            assert_eq!(
                settlement_transition(state, action),
                to,
                "{state} {action:?}"
            );
        }
    }

    #[test]
    fn paid_and_cancelled_are_final() {
        for state in [SettlementStatus::Paid, SettlementStatus::Cancelled] {
            for action in SettlementAction::ALL {
                assert_eq!(settlement_transition(state, action), None);
            }
        }
    }

    #[test]
    fn statuses_read_back() {
        for status in SettlementStatus::ALL {
            assert_eq!(SettlementStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(SettlementStatus::parse("PAID"), None);
    }
}
