//! What every call to the gateway shares: the request signed and encoded in the account's
//! charset, the answer verified against the request it answers, and a back transaction's
//! synchronous answer read as taken in, unknown or refused.

use super::account::UnionPayAccount;
use crate::Fields;
use crate::messages::{BackOutcome, read_answer};
use crate::signing::sign;
use crate::wire::encode_form;
use unipay_core::channel::ChannelError;

/// The answer to a request UnionPay already has under this orderId and txnTime: the first one
/// stands, and only a query tells what became of it.
const DUPLICATE: &str = "12";

/// `fields` signed with the account's key, and the form body that carries them. `unsent` says
/// why nothing reached the bank when the request cannot be built.
pub(super) fn sealed(
    account: &UnionPayAccount,
    mut fields: Fields,
    unsent: impl Fn(&dyn std::fmt::Display) -> ChannelError,
) -> Result<(Fields, Vec<u8>), ChannelError> {
    sign(&mut fields, account.signer.as_ref()).map_err(|e| unsent(&e))?;
    let body = encode_form(&fields, account.merchant.charset).map_err(|e| unsent(&e))?;
    Ok((fields, body))
}

/// The answer's fields, once its signature verifies and it answers `sent`; an answer that is
/// not believed is a bad answer, whose outcome is unknown.
pub(super) fn verified(
    account: &UnionPayAccount,
    sent: &Fields,
    answer: &[u8],
    now_ms: i64,
) -> Result<Fields, ChannelError> {
    let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
    read_answer(answer, sent, &account.verifier, now_s)
        .map_err(|e| ChannelError::BadAnswer(e.to_string()))
}

/// What a back transaction's synchronous answer says, before it is put in the words of the
/// port's refund or pre-authorisation states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum BackAnswer {
    /// `00`: taken in; the result comes by notification or query.
    TakenIn { reason: String },
    /// `03`/`04`/`05`, or a duplicate: only a query can tell.
    Unknown { reason: String },
    /// Any other code: refused for good.
    Refused { code: String, reason: String },
}

/// Reads a back transaction's verified answer.
pub(super) fn back_answer(fields: &Fields) -> Result<BackAnswer, ChannelError> {
    let outcome =
        BackOutcome::from_answer(fields).map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    Ok(match outcome {
        BackOutcome::Accepted { .. } => BackAnswer::TakenIn {
            reason: "00: taken in by UnionPay; its result comes by notification or query".into(),
        },
        BackOutcome::Unknown { code, message } => BackAnswer::Unknown {
            reason: format!("{code}: {message}"),
        },
        BackOutcome::Refused { code, message } if code == DUPLICATE => BackAnswer::Unknown {
            reason: format!("{code}: {message} (the first request stands: query)"),
        },
        BackOutcome::Refused { code, message } => BackAnswer::Refused {
            code,
            reason: message,
        },
    })
}
