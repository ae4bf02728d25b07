//! The one rule that names what differs between a statement line and the record it met.

use super::outcome::{DiffClass, PlatformFacts, PlatformStatus};

/// When several things differ, the class is the one an operator must act on first: a status
/// (the bank moved money we do not hold as taken) outranks an amount, which outranks a fee.
pub(super) fn classify(
    bank_amount_fen: i64,
    bank_fee_fen: i64,
    platform: &PlatformFacts,
) -> DiffClass {
    if platform.status != PlatformStatus::Succeeded {
        DiffClass::StatusMismatch
    } else if bank_amount_fen != platform.amount_fen {
        DiffClass::AmountMismatch
    } else if bank_fee_fen != platform.fee_fen {
        DiffClass::FeeMismatch
    } else {
        DiffClass::Matched
    }
}
