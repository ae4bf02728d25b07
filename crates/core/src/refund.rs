//! Refunds: what may be refunded, the refund state machine, and the share of our fee a refund
//! returns. No I/O; the store applies these rules inside the transaction that locks the payment.
//!
//! **A refunded payment stays `succeeded`.** It carries `refunded_amount` (refunds that
//! succeeded) and a reservation for refunds still pending; a payment is fully refunded when
//! `refunded_amount` equals its refundable base. Keeping the payment's status means
//! reconciliation and settlement see one collection per payment, on its own accounting date,
//! and each refund as a movement of its own on the refund's date (a refund's statement line
//! carries its own number), so nothing already reconciled or settled ever changes.
//!
//! The refundable base is what the payment collected: its amount, or for a captured
//! pre-authorization the captured amount. A refund reserves its amount when it is created
//! (pending), so two refunds can never promise the same money; a failed refund releases its
//! reservation, a successful one turns it into `refunded_amount`.

use crate::fees::FeePlan;
use crate::payment::{CaptureMode, PaymentStatus};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The most lines one refund batch may hold (the bank's limit).
pub const MAX_BATCH_LINES: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    /// Sent, or about to be sent, to the bank; its amount is reserved on the payment.
    Pending,
    /// The bank returned the money.
    Succeeded,
    /// The bank refused or failed it: no money went back, the reservation is released.
    Failed,
}

impl RefundStatus {
    pub const ALL: [RefundStatus; 3] = [
        RefundStatus::Pending,
        RefundStatus::Succeeded,
        RefundStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<RefundStatus> {
        RefundStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        !matches!(self, RefundStatus::Pending)
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the bank said about a refund (its answer, a query, a batch result).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundEvent {
    /// The money went back.
    BankSucceeded,
    /// The bank refused or failed the refund for good.
    BankFailed,
    /// The bank cannot tell yet (no answer, `EUNKWN`, a batch line not processed): ask again.
    BankPending,
}

impl RefundEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundEvent::BankSucceeded => "bank_succeeded",
            RefundEvent::BankFailed => "bank_failed",
            RefundEvent::BankPending => "bank_pending",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundTransition {
    To(RefundStatus),
    /// The event repeats what we know (a duplicate, or "still pending").
    Unchanged,
    /// The event contradicts a final state: recorded for an operator, otherwise ignored.
    Rejected,
}

/// The one table of refund transitions.
pub fn refund_transition(state: RefundStatus, event: RefundEvent) -> RefundTransition {
    use RefundEvent as E;
    use RefundStatus as S;
    match (state, event) {
        (S::Pending, E::BankSucceeded) => RefundTransition::To(S::Succeeded),
        (S::Pending, E::BankFailed) => RefundTransition::To(S::Failed),
        (S::Pending, E::BankPending) => RefundTransition::Unchanged,
        (S::Succeeded, E::BankSucceeded) => RefundTransition::Unchanged,
        (S::Failed, E::BankFailed) => RefundTransition::Unchanged,
        // A final refund's "not yet" is an old or lagging answer.
        (S::Succeeded | S::Failed, E::BankPending) => RefundTransition::Unchanged,
        (S::Succeeded, E::BankFailed) => RefundTransition::Rejected,
        // Unlike a payment's late success this is not applied: the failure released the
        // reservation, which another refund may have taken since, so applying it could refund
        // more than was paid. An operator decides.
        (S::Failed, E::BankSucceeded) => RefundTransition::Rejected,
    }
}

/// The notification type a business system receives when a refund reaches `status`.
pub fn refund_notification_type(status: RefundStatus) -> Option<&'static str> {
    match status {
        RefundStatus::Succeeded => Some("refund.succeeded"),
        RefundStatus::Failed => Some("refund.failed"),
        RefundStatus::Pending => None,
    }
}

/// A payment as far as refunding it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refundable {
    pub status: PaymentStatus,
    pub capture: CaptureMode,
    pub amount: i64,
    pub captured_amount: Option<i64>,
    /// Refunds that succeeded.
    pub refunded: i64,
    /// Refunds still pending (reserved).
    pub reserved: i64,
}

impl Refundable {
    /// What the payment collected: the captured amount of a pre-authorization, else its amount.
    pub fn base(&self) -> i64 {
        match self.capture {
            CaptureMode::Manual => self.captured_amount.unwrap_or(0),
            CaptureMode::Immediate => self.amount,
        }
    }

    /// What may still be refunded: the base less what was refunded or is reserved.
    pub fn remaining(&self) -> i64 {
        (self.base() - self.refunded - self.reserved).max(0)
    }
}

/// Why a refund was refused. Nothing is written when one is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RefundRefusal {
    #[error("no such payment")]
    PaymentNotFound,
    /// The payment collected nothing (created, pending, failed, closed or cancelled).
    #[error("the payment is {status}: nothing was collected to refund")]
    NotPaid { status: PaymentStatus },
    /// A pre-authorization not captured yet: cancel it instead.
    #[error("the pre-authorization is not captured: cancel it instead")]
    NotCaptured,
    #[error("the refund amount must be greater than zero")]
    AmountNotPositive,
    #[error("{requested} fen is more than the {remaining} fen left to refund")]
    ExceedsRefundable { requested: i64, remaining: i64 },
}

/// Whether `amount` fen may be refunded from the payment now.
pub fn check_refund(payment: &Refundable, amount: i64) -> Result<(), RefundRefusal> {
    match payment.status {
        PaymentStatus::Succeeded => {}
        PaymentStatus::Authorized => return Err(RefundRefusal::NotCaptured),
        status => return Err(RefundRefusal::NotPaid { status }),
    }
    if amount <= 0 {
        return Err(RefundRefusal::AmountNotPositive);
    }
    let remaining = payment.remaining();
    if amount > remaining {
        return Err(RefundRefusal::ExceedsRefundable {
            requested: amount,
            remaining,
        });
    }
    Ok(())
}

/// The share of the payment's fee (`fee`, on `base`) a new refund of `amount` returns by the
/// plan's policy, given the refunds already made or pending (`committed` fen, which returned
/// `returned` fen of fee). The share is computed on the running total, not per refund, so
/// rounding never returns more than the whole fee however the refunds are split, and refunding
/// everything returns exactly the policy's share of it.
pub fn fee_to_return(
    plan: &FeePlan,
    base: i64,
    fee: i64,
    committed: i64,
    returned: i64,
    amount: i64,
) -> i64 {
    let due = plan.refund_fee(base, fee, committed + amount);
    (due - returned).clamp(0, (fee - returned).max(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fees::RefundFeePolicy;

    fn paid(amount: i64, refunded: i64, reserved: i64) -> Refundable {
        Refundable {
            status: PaymentStatus::Succeeded,
            capture: CaptureMode::Immediate,
            amount,
            captured_amount: None,
            refunded,
            reserved,
        }
    }

    #[test]
    fn the_refund_table_never_undoes_a_final_state() {
        use RefundEvent as E;
        use RefundStatus as S;
        let rows = [
            (
                S::Pending,
                E::BankSucceeded,
                RefundTransition::To(S::Succeeded),
            ),
            (S::Pending, E::BankFailed, RefundTransition::To(S::Failed)),
            (S::Pending, E::BankPending, RefundTransition::Unchanged),
            (S::Succeeded, E::BankSucceeded, RefundTransition::Unchanged),
            (S::Succeeded, E::BankFailed, RefundTransition::Rejected),
            (S::Succeeded, E::BankPending, RefundTransition::Unchanged),
            (S::Failed, E::BankFailed, RefundTransition::Unchanged),
            (S::Failed, E::BankSucceeded, RefundTransition::Rejected),
            (S::Failed, E::BankPending, RefundTransition::Unchanged),
        ];
        for (state, event, expected) in rows {
            assert_eq!(
                refund_transition(state, event),
                expected,
                "{state} + {event:?}"
            );
        }
        for status in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(
            refund_notification_type(S::Succeeded),
            Some("refund.succeeded")
        );
        assert_eq!(refund_notification_type(S::Failed), Some("refund.failed"));
        assert_eq!(refund_notification_type(S::Pending), None);
    }

    #[test]
    fn only_collected_money_may_be_refunded() {
        for status in [
            PaymentStatus::Created,
            PaymentStatus::Pending,
            PaymentStatus::Failed,
            PaymentStatus::Closed,
            PaymentStatus::Cancelled,
        ] {
            let payment = Refundable {
                status,
                ..paid(1000, 0, 0)
            };
            assert_eq!(
                check_refund(&payment, 1),
                Err(RefundRefusal::NotPaid { status })
            );
        }
        let authorized = Refundable {
            status: PaymentStatus::Authorized,
            capture: CaptureMode::Manual,
            ..paid(1000, 0, 0)
        };
        assert_eq!(
            check_refund(&authorized, 1),
            Err(RefundRefusal::NotCaptured)
        );
        assert_eq!(
            check_refund(&paid(1000, 0, 0), 0),
            Err(RefundRefusal::AmountNotPositive)
        );
        assert_eq!(
            check_refund(&paid(1000, 0, 0), -5),
            Err(RefundRefusal::AmountNotPositive)
        );
    }

    #[test]
    fn refunds_reserve_up_to_what_was_collected() {
        assert_eq!(check_refund(&paid(1000, 0, 0), 1000), Ok(()));
        assert_eq!(check_refund(&paid(1000, 300, 200), 500), Ok(()));
        assert_eq!(
            check_refund(&paid(1000, 300, 200), 501),
            Err(RefundRefusal::ExceedsRefundable {
                requested: 501,
                remaining: 500
            })
        );
        let captured = Refundable {
            capture: CaptureMode::Manual,
            captured_amount: Some(600),
            ..paid(1000, 0, 0)
        };
        assert_eq!(captured.base(), 600);
        assert_eq!(check_refund(&captured, 600), Ok(()));
        assert_eq!(
            check_refund(&captured, 601),
            Err(RefundRefusal::ExceedsRefundable {
                requested: 601,
                remaining: 600
            })
        );
    }

    #[test]
    fn fee_returns_never_exceed_the_fee() {
        let proportional = FeePlan {
            rate_bps: 60,
            refund: RefundFeePolicy::Proportional,
            ..FeePlan::FREE
        };
        // Per refund, 1 fen of fee on 4 fen halves to 0.5 → 1 twice: 2 fen of a 1 fen fee.
        // On the running total the second refund returns nothing.
        let first = fee_to_return(&proportional, 4, 1, 0, 0, 2);
        let second = fee_to_return(&proportional, 4, 1, 2, first, 2);
        assert_eq!((first, second), (1, 0));
        // Any split of a full refund returns exactly the fee.
        let mut returned = 0;
        let mut committed = 0;
        for part in [333, 333, 334] {
            returned += fee_to_return(&proportional, 1000, 7, committed, returned, part);
            committed += part;
        }
        assert_eq!(returned, 7);
        assert_eq!(fee_to_return(&FeePlan::FREE, 1000, 7, 0, 0, 1000), 0);
    }
}
