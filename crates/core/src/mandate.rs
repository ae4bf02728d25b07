//! Mandates (授权支付协议): the customer's standing permission for the merchant to debit a card
//! without the customer present. A mandate is signed on the bank's page (`pending` until the
//! bank reports the customer's decision), then debited any number of times while `active`,
//! until it is cancelled by the merchant or passes its last valid day.
//!
//! Every move is one row of [`transition`]; every debit is judged by [`check_debit`] before
//! anything is sent to the bank.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MandateStatus {
    /// Sent to the bank; the customer has not agreed or refused yet (or we have not heard).
    Pending,
    /// Signed: debits may be made.
    Active,
    /// The customer refused, or the bank failed the signing: nothing can be debited, ever.
    Failed,
    /// Ended by the merchant (the bank confirmed the unsigning).
    Cancelled,
    /// Its last valid day has passed.
    Expired,
}

impl MandateStatus {
    pub const ALL: [MandateStatus; 5] = [
        MandateStatus::Pending,
        MandateStatus::Active,
        MandateStatus::Failed,
        MandateStatus::Cancelled,
        MandateStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MandateStatus::Pending => "pending",
            MandateStatus::Active => "active",
            MandateStatus::Failed => "failed",
            MandateStatus::Cancelled => "cancelled",
            MandateStatus::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<MandateStatus> {
        MandateStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the bank may still have something to tell us about the signing.
    pub fn is_open(self) -> bool {
        self == MandateStatus::Pending
    }
}

impl fmt::Display for MandateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to a mandate, whatever told us (the bank's message, a query, the merchant).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MandateEvent {
    /// The bank reports the customer signed.
    BankSigned,
    /// The bank reports the signing refused or failed.
    BankSignFailed,
    /// The bank confirmed the mandate is ended (our AgentUnSign, or its query says so).
    BankCancelled,
    /// The mandate's last valid day passed.
    Expired,
}

impl MandateEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            MandateEvent::BankSigned => "bank_signed",
            MandateEvent::BankSignFailed => "bank_sign_failed",
            MandateEvent::BankCancelled => "bank_cancelled",
            MandateEvent::Expired => "expired",
        }
    }
}

/// The outcome of applying an event to a mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MandateTransition {
    To(MandateStatus),
    /// A repeat of what we know (a second copy of the result, a query after the message).
    Unchanged,
    /// The event contradicts a final state: recorded, otherwise ignored.
    Rejected,
}

/// The one table of mandate moves. Anything not listed is rejected, never applied.
pub fn transition(state: MandateStatus, event: MandateEvent) -> MandateTransition {
    use MandateEvent as E;
    use MandateStatus as S;
    use MandateTransition as T;
    match (state, event) {
        (S::Pending, E::BankSigned) => T::To(S::Active),
        (S::Pending, E::BankSignFailed) => T::To(S::Failed),
        // A cancel may be asked before we heard the signing's result: the bank's word ends it.
        (S::Pending | S::Active, E::BankCancelled) => T::To(S::Cancelled),
        (S::Active, E::Expired) => T::To(S::Expired),
        // A mandate whose result never came and whose term is over can never be debited.
        (S::Pending, E::Expired) => T::To(S::Expired),
        (S::Active, E::BankSigned) => T::Unchanged,
        (S::Failed, E::BankSignFailed) => T::Unchanged,
        (S::Cancelled, E::BankCancelled) => T::Unchanged,
        (S::Expired, E::Expired) => T::Unchanged,
        // Late copies of the signing result after the mandate ended tell nothing new.
        (S::Cancelled | S::Expired, E::BankSigned) => T::Unchanged,
        (S::Cancelled | S::Expired | S::Active, E::BankSignFailed) => T::Rejected,
        (S::Failed, E::BankSigned | E::BankCancelled | E::Expired) => T::Rejected,
        (S::Cancelled, E::Expired) => T::Unchanged,
        (S::Expired, E::BankCancelled) => T::Unchanged,
    }
}

/// The business notification a merchant receives when a mandate reaches `status`.
pub fn notification_type(status: MandateStatus) -> Option<&'static str> {
    match status {
        MandateStatus::Active => Some("mandate.active"),
        MandateStatus::Failed => Some("mandate.failed"),
        MandateStatus::Cancelled => Some("mandate.cancelled"),
        MandateStatus::Expired => Some("mandate.expired"),
        MandateStatus::Pending => None,
    }
}

/// What a debit needs to know of its mandate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MandateTerms<'a> {
    pub status: MandateStatus,
    /// The last day (`YYYY-MM-DD`, Beijing) on which the mandate may be debited.
    pub expires_on: &'a str,
    /// The most one debit may take, fen.
    pub max_amount_per_debit: Option<i64>,
}

/// Why a debit is refused before it reaches the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DebitRefusal {
    /// The customer has not signed (pending) or refused (failed).
    NotActive(MandateStatus),
    Cancelled,
    /// The mandate's term is over (`expire_now`: it was still active and must be marked expired).
    Expired {
        expire_now: bool,
    },
    /// More than the mandate's per-debit limit.
    OverLimit {
        limit: i64,
    },
}

/// Judges a debit of `amount` fen on `today` (`YYYY-MM-DD`, Beijing).
pub fn check_debit(terms: &MandateTerms<'_>, amount: i64, today: &str) -> Result<(), DebitRefusal> {
    match terms.status {
        MandateStatus::Cancelled => return Err(DebitRefusal::Cancelled),
        MandateStatus::Expired => return Err(DebitRefusal::Expired { expire_now: false }),
        MandateStatus::Pending | MandateStatus::Failed => {
            return Err(DebitRefusal::NotActive(terms.status));
        }
        MandateStatus::Active => {}
    }
    // Dates as YYYY-MM-DD compare as text.
    if today > terms.expires_on {
        return Err(DebitRefusal::Expired { expire_now: true });
    }
    if let Some(limit) = terms.max_amount_per_debit
        && amount > limit
    {
        return Err(DebitRefusal::OverLimit { limit });
    }
    Ok(())
}

/// Whether a mandate whose last valid day is `expires_on` is over on `today`.
pub fn is_past(expires_on: &str, today: &str) -> bool {
    today > expires_on
}

/// `YYYY-MM-DD` with a real date: the shape of `expires_on`.
pub fn valid_date(text: &str) -> bool {
    text.len() == 10 && chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// Certificate types a mandate may name: those the bank's own client accepts.
pub use crate::identity::CERTIFICATE_TYPES;

/// Card types a mandate may debit: `1` ABC debit card, `3` credit card, `A` either (the
/// customer chooses on the bank's page).
pub const CARD_TYPES: &[&str] = &["1", "3", "A"];

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [MandateEvent; 4] = [
        MandateEvent::BankSigned,
        MandateEvent::BankSignFailed,
        MandateEvent::BankCancelled,
        MandateEvent::Expired,
    ];

    /// Proves that only pending and active mandates move, nothing moves back to pending, an
    /// active one only ends, and failed, cancelled and expired ones never move again.
    #[test]
    fn final_states_stay_final() {
        for state in MandateStatus::ALL {
            for event in EVENTS {
                if let MandateTransition::To(next) = transition(state, event) {
                    assert!(
                        state.is_open() || state == MandateStatus::Active,
                        "{state} {event:?}"
                    );
                    assert_ne!(next, MandateStatus::Pending);
                    if state == MandateStatus::Active {
                        assert!(matches!(
                            next,
                            MandateStatus::Cancelled | MandateStatus::Expired
                        ));
                    }
                }
            }
        }
    }

    #[test]
    fn signing_results_and_repeats() {
        use MandateStatus as S;
        assert_eq!(
            transition(S::Pending, MandateEvent::BankSigned),
            MandateTransition::To(S::Active)
        );
        assert_eq!(
            transition(S::Pending, MandateEvent::BankSignFailed),
            MandateTransition::To(S::Failed)
        );
        assert_eq!(
            transition(S::Active, MandateEvent::BankSigned),
            MandateTransition::Unchanged
        );
        assert_eq!(
            transition(S::Active, MandateEvent::BankSignFailed),
            MandateTransition::Rejected
        );
        assert_eq!(
            transition(S::Active, MandateEvent::BankCancelled),
            MandateTransition::To(S::Cancelled)
        );
        assert_eq!(
            transition(S::Active, MandateEvent::Expired),
            MandateTransition::To(S::Expired)
        );
        assert_eq!(
            transition(S::Cancelled, MandateEvent::BankCancelled),
            MandateTransition::Unchanged
        );
    }

    #[test]
    fn debit_rules() {
        let terms = |status, limit| MandateTerms {
            status,
            expires_on: "2026-12-31",
            max_amount_per_debit: limit,
        };
        let active = terms(MandateStatus::Active, Some(5000));
        assert_eq!(check_debit(&active, 5000, "2026-12-31"), Ok(()));
        assert_eq!(
            check_debit(&active, 5001, "2026-12-01"),
            Err(DebitRefusal::OverLimit { limit: 5000 })
        );
        assert_eq!(
            check_debit(&active, 1, "2027-01-01"),
            Err(DebitRefusal::Expired { expire_now: true })
        );
        assert_eq!(
            check_debit(&terms(MandateStatus::Expired, None), 1, "2026-01-01"),
            Err(DebitRefusal::Expired { expire_now: false })
        );
        assert_eq!(
            check_debit(&terms(MandateStatus::Cancelled, None), 1, "2026-01-01"),
            Err(DebitRefusal::Cancelled)
        );
        assert_eq!(
            check_debit(&terms(MandateStatus::Pending, None), 1, "2026-01-01"),
            Err(DebitRefusal::NotActive(MandateStatus::Pending))
        );
        assert_eq!(
            check_debit(&terms(MandateStatus::Active, None), i64::MAX, "2026-01-01"),
            Ok(())
        );
        assert!(valid_date("2026-02-28") && !valid_date("2026-02-30") && !valid_date("2026/02/28"));
    }
}
