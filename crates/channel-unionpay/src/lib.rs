//! China UnionPay's online gateway (全渠道, ACP 5.0.0 / 5.1.0, gateway payment `000201`): the
//! bank client.
//!
//! Layers, bottom up: `fields` and `charset` (a message is a set of text fields in the
//! request's `encoding`) → `crypto` (certificates, the bank's chain of trust) → `signing` (the
//! four signature methods, one signer interface, one verifier) → `wire` (form bodies, raw
//! synchronous answers, URL-encoded notifications) → `messages` (typed requests, answers and
//! outcomes per transaction type) → `channel` (the HTTP client and core's `Channel` port). Beside
//! them, `recon` unpacks the reconciliation file and streams its fixed-width ZM lines.

pub mod channel;
pub mod charset;
pub mod crypto;
pub mod fields;
pub mod messages;
pub mod recon;
pub mod signing;
pub mod wire;

pub use charset::Charset;
pub use fields::Fields;
