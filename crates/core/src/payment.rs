//! The payment state machine: every transition unipay may make is one row of [`transition`].
//!
//! A payment created with [`CaptureMode::Manual`] is a pre-authorization (预授权): the bank's
//! success only authorizes it (`authorized`: money held, none moved), and the merchant then
//! captures part or all of it (`succeeded`, with the captured amount) or cancels it
//! (`cancelled`). [`transition_for`] applies the table to one payment's terms: which events its
//! capture mode allows, and what a capture may take.
//!
//! Refunds never change a payment's status: a refunded payment stays `succeeded` and carries the
//! refunded sum (see `refund.rs`), so reconciliation and settlement see one collection per
//! payment and the refunds as movements of their own.

use crate::fees::share_half_up;
use crate::money::Amount;
use serde::{Deserialize, Serialize};
use std::fmt;

/// When the money of a successful payment is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    /// The bank's success takes the money: an ordinary payment.
    #[default]
    Immediate,
    /// The bank's success only authorizes the amount; a capture takes (part of) it later.
    Manual,
}

impl CaptureMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureMode::Immediate => "immediate",
            CaptureMode::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<CaptureMode> {
        match text {
            "immediate" => Some(CaptureMode::Immediate),
            "manual" => Some(CaptureMode::Manual),
            _ => None,
        }
    }
}

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
    /// A pre-authorization the bank granted: the amount is held, not yet taken.
    Authorized,
    /// A pre-authorization released without capture.
    Cancelled,
}

impl PaymentStatus {
    pub const ALL: [PaymentStatus; 7] = [
        PaymentStatus::Created,
        PaymentStatus::Pending,
        PaymentStatus::Succeeded,
        PaymentStatus::Failed,
        PaymentStatus::Closed,
        PaymentStatus::Authorized,
        PaymentStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Created => "created",
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Closed => "closed",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<PaymentStatus> {
        PaymentStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Unpaid states: the janitor keeps asking the bank about these. An authorized payment is
    /// not open: it waits for the merchant's capture or cancel, not for the bank.
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
    /// The bank authorized a pre-authorization: the amount is held for a later capture.
    BankAuthorized,
    /// The bank confirmed the capture of `amount` (at most [`MAX_CAPTURE_PERCENT`] of the
    /// authorized amount; each channel's own limit, [`crate::channel::Channel::capture_limit_percent`],
    /// is checked before the bank is asked).
    Captured { amount: Amount },
    /// The bank confirmed a pre-authorization was released.
    CancelConfirmed,
}

impl PaymentEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentEvent::RequestSent => "request_sent",
            PaymentEvent::BankSucceeded => "bank_succeeded",
            PaymentEvent::BankFailed => "bank_failed",
            PaymentEvent::ConfirmedUnpaidClose => "confirmed_unpaid_close",
            PaymentEvent::BankAuthorized => "bank_authorized",
            PaymentEvent::Captured { .. } => "captured",
            PaymentEvent::CancelConfirmed => "cancel_confirmed",
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
        // Pre-authorization. An authorization holds money the way a success takes it, so it
        // follows the same rules: it outranks an earlier decline, and for a closed payment it
        // is a late success for an operator (who has the hold released).
        (S::Created | S::Pending | S::Failed, E::BankAuthorized) => Transition::To(S::Authorized),
        (S::Authorized, E::BankAuthorized) => Transition::Unchanged,
        (S::Closed, E::BankAuthorized) => Transition::LateSuccess,
        // A late report of the authorization after its capture or release tells nothing new.
        (S::Succeeded | S::Cancelled, E::BankAuthorized) => Transition::Unchanged,
        (S::Authorized, E::Captured { .. }) => Transition::To(S::Succeeded),
        (S::Authorized, E::CancelConfirmed) => Transition::To(S::Cancelled),
        // The same capture or release reported again (its answer, then a query).
        (S::Succeeded, E::Captured { .. }) => Transition::Unchanged,
        (S::Cancelled, E::CancelConfirmed) => Transition::Unchanged,
        // Nothing is held any more: releasing a closed payment changes nothing.
        (S::Closed, E::CancelConfirmed) => Transition::Unchanged,
        // A bank's "paid" for an authorized order is the authorization read back (ABC answers
        // a query of an unconfirmed pre-authorization with the status of a paid order).
        (S::Authorized, E::BankSucceeded) => Transition::Unchanged,
        // A capture after a release, a release after a capture, and anything taking or closing
        // an authorization by another way contradict what the bank confirmed before.
        (S::Succeeded, E::CancelConfirmed) => Transition::Rejected,
        (S::Cancelled, E::Captured { .. }) => Transition::Rejected,
        (S::Authorized, E::BankFailed | E::ConfirmedUnpaidClose | E::RequestSent) => {
            Transition::Rejected
        }
        // Capture and release need an authorization first.
        (
            S::Created | S::Pending | S::Failed | S::Closed,
            E::Captured { .. } | E::CancelConfirmed,
        ) => Transition::Rejected,
        // A released pre-authorization is final: later failures and closes repeat that nothing
        // was taken; a success contradicts the release.
        (S::Cancelled, E::BankFailed | E::ConfirmedUnpaidClose) => Transition::Unchanged,
        (S::Cancelled, E::BankSucceeded | E::RequestSent) => Transition::Rejected,
    }
}

/// What [`transition_for`] needs to know of the payment itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentTerms {
    pub capture: CaptureMode,
    /// The amount asked for (for a pre-authorization: the authorized amount), fen.
    pub amount: i64,
    /// What a capture took, once captured.
    pub captured_amount: Option<i64>,
}

/// The event as it applies to a payment of `capture` mode. For a pre-authorization the bank's
/// "paid" is the authorization: ABC reports an authorized `PreAuthPay` order as paid (in its
/// notification and its query), and money moves only at the capture.
pub fn effective_event(capture: CaptureMode, event: PaymentEvent) -> PaymentEvent {
    match (capture, event) {
        (CaptureMode::Manual, PaymentEvent::BankSucceeded) => PaymentEvent::BankAuthorized,
        _ => event,
    }
}

/// The table applied to one payment: the event read for its capture mode
/// ([`effective_event`]), pre-authorization events refused for an immediate payment, a capture
/// refused when it takes nothing or more than was authorized, and a repeated capture unchanged
/// only when it repeats the amount captured.
pub fn transition_for(
    terms: &PaymentTerms,
    state: PaymentStatus,
    event: PaymentEvent,
) -> Transition {
    let event = effective_event(terms.capture, event);
    let preauth_event = matches!(
        event,
        PaymentEvent::BankAuthorized
            | PaymentEvent::Captured { .. }
            | PaymentEvent::CancelConfirmed
    );
    if terms.capture == CaptureMode::Immediate && preauth_event {
        return Transition::Rejected;
    }
    if let PaymentEvent::Captured { amount } = event {
        if amount.fen() > capture_ceiling(terms.amount, MAX_CAPTURE_PERCENT) {
            return Transition::Rejected;
        }
        if state == PaymentStatus::Succeeded && terms.captured_amount != Some(amount.fen()) {
            return Transition::Rejected;
        }
    }
    transition(state, event)
}

/// The most any bank captures of a hold, in percent: UnionPay completes up to 115 % of it, ABC
/// up to all of it. A capture the bank reports above this is not believed.
pub const MAX_CAPTURE_PERCENT: i64 = 115;

/// The most a capture of a hold of `authorized` fen may take at `limit_percent`.
pub fn capture_ceiling(authorized: i64, limit_percent: i64) -> i64 {
    authorized.saturating_mul(limit_percent) / 100
}

/// The fees of a capture: each fee fixed at creation for the authorized amount, in proportion
/// to what was captured (rounded half-up to the fen), as (our fee, the bank's fee).
pub fn capture_fees(fee: i64, bank_fee: i64, authorized: i64, captured: i64) -> (i64, i64) {
    if captured >= authorized {
        return (fee, bank_fee);
    }
    (
        share_half_up(fee, captured, authorized),
        share_half_up(bank_fee, captured, authorized),
    )
}

/// The notification type a business system receives when a payment reaches `status`.
pub fn notification_type(status: PaymentStatus) -> Option<&'static str> {
    match status {
        PaymentStatus::Succeeded => Some("payment.succeeded"),
        PaymentStatus::Failed => Some("payment.failed"),
        PaymentStatus::Closed => Some("payment.closed"),
        PaymentStatus::Authorized => Some("payment.authorized"),
        PaymentStatus::Cancelled => Some("payment.cancelled"),
        PaymentStatus::Created | PaymentStatus::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fen(amount: i64) -> Amount {
        Amount::from_fen(amount).unwrap()
    }

    const EVENTS: [PaymentEvent; 4] = [
        PaymentEvent::RequestSent,
        PaymentEvent::BankSucceeded,
        PaymentEvent::BankFailed,
        PaymentEvent::ConfirmedUnpaidClose,
    ];

    fn all_events() -> Vec<PaymentEvent> {
        let mut events = EVENTS.to_vec();
        events.extend([
            PaymentEvent::BankAuthorized,
            PaymentEvent::Captured { amount: fen(600) },
            PaymentEvent::Captured { amount: fen(1000) },
            PaymentEvent::CancelConfirmed,
        ]);
        events
    }

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

    /// Proves the same for pre-authorizations and every event: success and cancellation are
    /// final, and a payment only reaches them through an authorization.
    #[test]
    fn random_preauth_sequences_end_captured_or_cancelled_only_after_authorization() {
        let events = all_events();
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for capture in [CaptureMode::Immediate, CaptureMode::Manual] {
            for _ in 0..2000 {
                let mut state = PaymentStatus::Created;
                let mut captured = None;
                let mut authorized = false;
                for _ in 0..12 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let event = events[(seed % events.len() as u64) as usize];
                    let terms = PaymentTerms {
                        capture,
                        amount: 1000,
                        captured_amount: captured,
                    };
                    if let Transition::To(next) = transition_for(&terms, state, event) {
                        assert!(
                            !matches!(state, PaymentStatus::Succeeded | PaymentStatus::Cancelled),
                            "{state} is final, yet {event:?} moved it to {next}"
                        );
                        if capture == CaptureMode::Manual {
                            assert!(next != PaymentStatus::Succeeded || authorized);
                        } else {
                            assert!(!matches!(
                                next,
                                PaymentStatus::Authorized | PaymentStatus::Cancelled
                            ));
                        }
                        if let PaymentEvent::Captured { amount } = event {
                            captured = Some(amount.fen());
                        }
                        state = next;
                    }
                    authorized |= state == PaymentStatus::Authorized;
                }
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
        for mode in [CaptureMode::Immediate, CaptureMode::Manual] {
            assert_eq!(CaptureMode::parse(mode.as_str()), Some(mode));
        }
    }

    /// The pre-authorization rows of the table, one per line: (state, event) → transition.
    #[test]
    fn preauth_transitions_follow_the_table() {
        use PaymentStatus as S;
        use Transition as T;
        let captured = PaymentEvent::Captured { amount: fen(600) };
        let rows = [
            (
                S::Created,
                PaymentEvent::BankAuthorized,
                T::To(S::Authorized),
            ),
            (
                S::Pending,
                PaymentEvent::BankAuthorized,
                T::To(S::Authorized),
            ),
            (
                S::Failed,
                PaymentEvent::BankAuthorized,
                T::To(S::Authorized),
            ),
            (S::Authorized, PaymentEvent::BankAuthorized, T::Unchanged),
            (S::Closed, PaymentEvent::BankAuthorized, T::LateSuccess),
            (S::Authorized, captured, T::To(S::Succeeded)),
            (
                S::Authorized,
                PaymentEvent::CancelConfirmed,
                T::To(S::Cancelled),
            ),
            (S::Succeeded, captured, T::Unchanged),
            (S::Cancelled, PaymentEvent::CancelConfirmed, T::Unchanged),
            (S::Succeeded, PaymentEvent::CancelConfirmed, T::Rejected),
            (S::Cancelled, captured, T::Rejected),
            (S::Pending, captured, T::Rejected),
            (S::Pending, PaymentEvent::CancelConfirmed, T::Rejected),
            (
                S::Authorized,
                PaymentEvent::ConfirmedUnpaidClose,
                T::Rejected,
            ),
            (S::Authorized, PaymentEvent::BankFailed, T::Rejected),
            (S::Authorized, PaymentEvent::BankSucceeded, T::Unchanged),
        ];
        for (state, event, expected) in rows {
            assert_eq!(transition(state, event), expected, "{state} + {event:?}");
        }
    }

    /// Proves how a payment's terms narrow the table: the bank's "paid" authorizes a manual
    /// payment, an immediate one refuses pre-authorization events, and a capture takes at most
    /// what was authorized and repeats only with the same amount.
    #[test]
    fn terms_decide_what_a_capture_may_do() {
        let manual = PaymentTerms {
            capture: CaptureMode::Manual,
            amount: 1000,
            captured_amount: None,
        };
        let immediate = PaymentTerms {
            capture: CaptureMode::Immediate,
            ..manual
        };
        assert_eq!(
            transition_for(&manual, PaymentStatus::Pending, PaymentEvent::BankSucceeded),
            Transition::To(PaymentStatus::Authorized)
        );
        assert_eq!(
            transition_for(
                &immediate,
                PaymentStatus::Pending,
                PaymentEvent::BankSucceeded
            ),
            Transition::To(PaymentStatus::Succeeded)
        );
        for event in [
            PaymentEvent::BankAuthorized,
            PaymentEvent::Captured { amount: fen(10) },
            PaymentEvent::CancelConfirmed,
        ] {
            assert_eq!(
                transition_for(&immediate, PaymentStatus::Pending, event),
                Transition::Rejected
            );
        }
        let take = |amount| PaymentEvent::Captured {
            amount: fen(amount),
        };
        assert_eq!(
            transition_for(&manual, PaymentStatus::Authorized, take(1000)),
            Transition::To(PaymentStatus::Succeeded)
        );
        assert_eq!(
            transition_for(&manual, PaymentStatus::Authorized, take(1150)),
            Transition::To(PaymentStatus::Succeeded),
            "up to 115 % of the hold: UnionPay's completion"
        );
        assert_eq!(
            transition_for(&manual, PaymentStatus::Authorized, take(1151)),
            Transition::Rejected
        );
        let captured = PaymentTerms {
            captured_amount: Some(600),
            ..manual
        };
        assert_eq!(
            transition_for(&captured, PaymentStatus::Succeeded, take(600)),
            Transition::Unchanged
        );
        assert_eq!(
            transition_for(&captured, PaymentStatus::Succeeded, take(700)),
            Transition::Rejected
        );
        assert_eq!(
            transition_for(
                &captured,
                PaymentStatus::Succeeded,
                PaymentEvent::CancelConfirmed
            ),
            Transition::Rejected
        );
        assert_eq!(
            transition_for(&manual, PaymentStatus::Closed, PaymentEvent::BankSucceeded),
            Transition::LateSuccess
        );
    }

    #[test]
    fn a_capture_carries_its_share_of_the_fees() {
        assert_eq!(capture_fees(60, 30, 10_000, 10_000), (60, 30));
        assert_eq!(capture_fees(60, 30, 10_000, 5_000), (30, 15));
        // 7 × 1/4 = 1.75 → 2; 3 × 1/4 = 0.75 → 1.
        assert_eq!(capture_fees(7, 3, 4, 1), (2, 1));
        assert_eq!(capture_fees(0, 0, 4, 1), (0, 0));
    }

    #[test]
    fn notifications_cover_the_preauth_states() {
        assert_eq!(
            notification_type(PaymentStatus::Authorized),
            Some("payment.authorized")
        );
        assert_eq!(
            notification_type(PaymentStatus::Cancelled),
            Some("payment.cancelled")
        );
        assert_eq!(
            notification_type(PaymentStatus::Succeeded),
            Some("payment.succeeded")
        );
        assert!(!PaymentStatus::Authorized.is_open());
    }
}
