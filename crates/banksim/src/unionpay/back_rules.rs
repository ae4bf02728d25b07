//! Which back operation an original transaction admits (§4.3–4.5 of the protocol page), and
//! what accepting it does to the original.

use super::book::{
    Book, COMPLETION, COMPLETION_VOID, CONSUME, CONSUME_VOID, PREAUTH, PREAUTH_VOID, REFUND,
    Status, Transaction,
};
use super::codes;
use chrono::NaiveDateTime;

/// A completion may take up to 115 % of the hold.
const COMPLETION_LIMIT_PERCENT: u64 = 115;

/// A completion comes within 30 days of its hold.
const COMPLETION_WINDOW: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// What an accepted operation does to its original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Refund(u64),
    Void,
    Complete,
}

pub type Refused = ((&'static str, &'static str), &'static str);

/// Whether `original` admits operation `txn_type` of `amount` fen on settlement day `today`,
/// at `now` (Beijing wall time).
pub fn check(
    txn_type: &str,
    amount: u64,
    original: &Transaction,
    today: &str,
    now: NaiveDateTime,
) -> Result<Effect, Refused> {
    let state = |why| Err((codes::ORIGINAL_STATE, why));
    let mismatch = |why| Err((codes::ORIGINAL_MISMATCH, why));
    if original.status != Status::Succeeded || original.voided {
        return state("the original is not a standing success");
    }
    let kind = original.txn_type.as_str();
    match txn_type {
        REFUND if kind == CONSUME || kind == COMPLETION => {
            if amount > original.amount_fen.saturating_sub(original.refunded_fen) {
                return mismatch("the refunds would exceed the original");
            }
            Ok(Effect::Refund(amount))
        }
        // A void takes back the whole original, on its settlement day, before any refund.
        CONSUME_VOID | COMPLETION_VOID
            if (txn_type == CONSUME_VOID && kind == CONSUME)
                || (txn_type == COMPLETION_VOID && kind == COMPLETION) =>
        {
            if amount != original.amount_fen || original.refunded_fen > 0 {
                return mismatch("a void takes the whole amount, before any refund");
            }
            if original.settle_date.as_deref() != Some(today) {
                return state("a void is taken on the original's settlement day only");
            }
            Ok(Effect::Void)
        }
        PREAUTH_VOID if kind == PREAUTH => {
            if original.completed {
                return state("the hold was completed");
            }
            if amount != original.amount_fen {
                return mismatch("a pre-auth void takes the whole hold");
            }
            Ok(Effect::Void)
        }
        COMPLETION if kind == PREAUTH => {
            if original.completed {
                return state("the hold was completed already");
            }
            if held_too_long(original, now) {
                return Err((
                    codes::OUTSIDE_TIME_LIMIT,
                    "a completion comes within 30 days of the hold",
                ));
            }
            let limit = original.amount_fen.saturating_mul(COMPLETION_LIMIT_PERCENT) / 100;
            if amount > limit {
                return mismatch("a completion takes at most 115 % of the hold");
            }
            Ok(Effect::Complete)
        }
        _ => state("the original does not admit this operation"),
    }
}

/// Whether more than 30 days have passed since the hold's `txnTime` (the merchant's order
/// time, Beijing wall time like `now`; checked for its form when the hold was taken).
fn held_too_long(hold: &Transaction, now: NaiveDateTime) -> bool {
    NaiveDateTime::parse_from_str(&hold.txn_time, "%Y%m%d%H%M%S")
        .is_ok_and(|held| now - held > COMPLETION_WINDOW)
}

/// Applies an accepted operation's effect to the original at `index`.
pub fn apply(book: &mut Book, index: usize, effect: Effect) {
    let Some(original) = book.get_mut(index) else {
        return;
    };
    match effect {
        Effect::Refund(amount) => {
            original.refunded_fen = original.refunded_fen.saturating_add(amount);
        }
        Effect::Complete => original.completed = true,
        Effect::Void => {
            original.voided = true;
            // A voided completion gives the hold back: it may be completed or voided again.
            if original.txn_type == COMPLETION {
                let hold = original
                    .orig_query_id
                    .clone()
                    .and_then(|query_id| book.by_query_id(&query_id));
                if let Some(hold) = hold.and_then(|i| book.get_mut(i)) {
                    hold.completed = false;
                }
            }
        }
    }
}
