//! The ways a message travels, byte for byte as UnionPay's SDKs write and read them:
//! form-urlencoded requests (and back notifications, the same form the other way), the raw
//! `k=v&…` synchronous answer, which is not URL-encoded at all, and the self-submitting page
//! that carries a front request through the payer's browser.

mod answer;
mod form;
mod front_form;

pub use answer::parse_answer;
pub use form::{decode_form, encode_form};
pub use front_form::auto_submit_form;

use crate::charset::CharsetError;

/// A message larger than this is not one the gateway sends (a reconciliation answer, the
/// largest, carries a day's zip in base64); it is refused before any parsing.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("message too large")]
    TooLarge,
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("field {0:?} appears twice")]
    DuplicateField(String),
    #[error(transparent)]
    Charset(#[from] CharsetError),
}

fn check_size(len: usize) -> Result<(), WireError> {
    if len > MAX_MESSAGE_BYTES {
        return Err(WireError::TooLarge);
    }
    Ok(())
}
