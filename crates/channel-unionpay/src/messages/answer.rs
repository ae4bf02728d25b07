//! A synchronous answer, believed: parsed in the request's charset, its signature verified,
//! and the fields that name the transaction checked against what was sent.

use super::names::{MER_ID, ORDER_ID, TXN_TIME};
use crate::crypto::UnixSeconds;
use crate::fields::Fields;
use crate::signing::{BankVerifier, VerifyError, message_charset};
use crate::wire::{WireError, parse_answer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The SDKs get an empty body on any HTTP status but 200: nothing was said.
    #[error("the answer is empty")]
    Empty,
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("the answer is not believed: {0}")]
    Verify(#[from] VerifyError),
    #[error("the answer names {field} {received:?}, the request {sent:?}")]
    Mismatch {
        field: &'static str,
        sent: String,
        received: String,
    },
}

/// Reads the answer `body` to `request` (the fields as signed and sent). `now` judges the
/// validity of the certificate the answer carries.
pub fn read_answer(
    body: &[u8],
    request: &Fields,
    verifier: &BankVerifier,
    now: UnixSeconds,
) -> Result<Fields, AnswerError> {
    if body.is_empty() {
        return Err(AnswerError::Empty);
    }
    let charset = message_charset(request).map_err(WireError::from)?;
    let answer = parse_answer(body, charset)?;
    verifier.verify(&answer, now)?;
    // A query's answer carries the original's txnType, so only these three are compared.
    for field in [MER_ID, ORDER_ID, TXN_TIME] {
        if let Some(sent) = request.get(field) {
            let received = answer.get(field).unwrap_or_default();
            if received != sent {
                return Err(AnswerError::Mismatch {
                    field,
                    sent: sent.to_string(),
                    received: received.to_string(),
                });
            }
        }
    }
    Ok(answer)
}
