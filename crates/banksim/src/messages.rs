//! Typed copies of the refund and pre-authorization messages: the requests the simulator reads
//! and the answers it writes. By design the simulator keeps its own copies (the merchant's side
//! lives in `unipay-channel-abc`), so a mistake on one side shows up as a disagreement in the
//! tests instead of being shared by both.
//!
//! Every value is a string on the wire. Requests are read forgivingly (`#[serde(default)]`: a
//! missing field reads as `""`, unknown fields are ignored) and checked field by field by their
//! handlers; answers are written in the field order declared here. Struct field order is wire
//! order: serde_json writes fields in declaration order.

pub mod batch;
pub mod preauth;
pub mod query;
pub mod refund;

use serde::Deserialize;
use serde_json::Value;

/// Reads a TrxRequest into its typed form; `Err` when a field has the wrong JSON type (every
/// value must be a string), so the caller refuses the request as a whole.
pub fn read<'a, T: Deserialize<'a>>(request: &'a Value) -> Result<T, serde_json::Error> {
    T::deserialize(request)
}
