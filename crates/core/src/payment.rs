//! The payment state machine: every transition unipay may make is one row of [`transition`].

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// Created through the API; the consumer has not reached the bank yet.
    Created,
    /// The bank has the order; its result is awaited.
    Pending,
    Succeeded,
    Failed,
    Closed,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 5] = [
        PaymentStatus::Created,
        PaymentStatus::Pending,
        PaymentStatus::Succeeded,
        PaymentStatus::Failed,
        PaymentStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Unpaid states: the janitor keeps asking the bank about these.
    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::Created | PaymentStatus::Pending)
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a payment, whatever told us (API, browser, bank server, query).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentEvent {
    /// The payment request was accepted by the bank (the consumer is on the bank's page).
    RequestSent,
    /// The bank says the money was taken.
    BankSucceeded,
    /// The bank says the payment was declined or failed.
    BankFailed,
    /// A final query confirmed the payment is unpaid, and it has expired or was closed on request.
    ConfirmedUnpaidClose,
}

impl PaymentEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentEvent::RequestSent => "request_sent",
            PaymentEvent::BankSucceeded => "bank_succeeded",
            PaymentEvent::BankFailed => "bank_failed",
            PaymentEvent::ConfirmedUnpaidClose => "confirmed_unpaid_close",
        }
    }
}

/// The outcome of applying an event to a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Move to the new state (and tell the business system if the state is one it hears about).
    To(PaymentStatus),
    /// Nothing changes: the event repeats what we already know (duplicates, reordering).
    Unchanged,
    /// The bank took money for a payment we had already closed: record it for an operator.
    LateSuccess,
    /// The event contradicts a final state; it is recorded and otherwise ignored.
    Rejected,
}

/// The one table of payment transitions. Anything not listed is rejected, never applied.
pub fn transition(state: PaymentStatus, event: PaymentEvent) -> Transition {
    use PaymentEvent as E;
    use PaymentStatus as S;
    match (state, event) {
        (S::Created, E::RequestSent) => Transition::To(S::Pending),
        (S::Pending, E::RequestSent) => Transition::Unchanged,
        (S::Created | S::Pending, E::BankSucceeded) => Transition::To(S::Succeeded),
        (S::Created | S::Pending, E::BankFailed) => Transition::To(S::Failed),
        (S::Created | S::Pending, E::ConfirmedUnpaidClose) => Transition::To(S::Closed),
        // The bank's word on money taken outranks an earlier decline: the consumer may have
        // paid on a second try within the same order.
        (S::Failed, E::BankSucceeded) => Transition::To(S::Succeeded),
        (S::Failed, E::BankFailed) => Transition::Unchanged,
        (S::Succeeded, E::BankSucceeded) => Transition::Unchanged,
        (S::Closed, E::ConfirmedUnpaidClose) => Transition::Unchanged,
        (S::Closed, E::BankSucceeded) => Transition::LateSuccess,
        (S::Closed, E::BankFailed) => Transition::Unchanged,
        (S::Succeeded, E::BankFailed | E::ConfirmedUnpaidClose | E::RequestSent) => {
            Transition::Rejected
        }
        (S::Failed, E::ConfirmedUnpaidClose | E::RequestSent) => Transition::Rejected,
        (S::Closed, E::RequestSent) => Transition::Rejected,
    }
}

/// The notification type a business system receives when a payment reaches `status`.
pub fn notification_type(status: PaymentStatus) -> Option<&'static str> {
    match status {
        PaymentStatus::Succeeded => Some("payment.succeeded"),
        PaymentStatus::Failed => Some("payment.failed"),
        PaymentStatus::Closed => Some("payment.closed"),
        PaymentStatus::Created | PaymentStatus::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [PaymentEvent; 4] = [
        PaymentEvent::RequestSent,
        PaymentEvent::BankSucceeded,
        PaymentEvent::BankFailed,
        PaymentEvent::ConfirmedUnpaidClose,
    ];

    /// Proves that from any state, any sequence of events keeps the payment in a legal state,
    /// and that success is never undone.
    #[test]
    fn random_event_sequences_never_leave_the_table() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2000 {
            let mut state = PaymentStatus::Created;
            let mut succeeded = false;
            for _ in 0..12 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let event = EVENTS[(seed % 4) as usize];
                if let Transition::To(next) = transition(state, event) {
                    assert!(!succeeded || next == PaymentStatus::Succeeded);
                    state = next;
                }
                succeeded |= state == PaymentStatus::Succeeded;
            }
        }
    }

    #[test]
    fn duplicates_change_nothing() {
        assert_eq!(
            transition(PaymentStatus::Succeeded, PaymentEvent::BankSucceeded),
            Transition::Unchanged
        );
        assert_eq!(
            transition(PaymentStatus::Closed, PaymentEvent::BankSucceeded),
            Transition::LateSuccess
        );
        for status in PaymentStatus::ALL {
            assert_eq!(PaymentStatus::parse(status.as_str()), Some(status));
        }
    }
}
