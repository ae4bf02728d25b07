//! The payment, refund, mandate, identity-verification and batch objects as the API answers
//! them and the business notifications carry them: the `unipay-api` types, built from store
//! rows. Text fields borrow from the row, so rendering copies only what it must format.

pub mod batch;
pub mod identity;
pub mod mandate;
pub mod payment;
pub mod refund;

use serde::Serialize;

/// An object or event as JSON text. Serialising these types cannot fail (string keys, no
/// maps of other keys), so the fallback only keeps the answer well-formed.
pub fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "{}".to_string())
}

/// A store row's optional text, borrowed.
fn text(value: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    value.as_deref().map(Into::into)
}
