//! The Agricultural Bank of China's TrustPay merchant protocol (V3, JSON requests, GBK answers,
//! GBK XML notifications): keys, the signed envelope, typed messages, and the `Channel` port.
//!
//! Layers, bottom up: `crypto` (keys, certificates, signatures) → `wire` (the signed envelopes,
//! byte for byte) → `messages` (typed TrxRequest / TrxResponse / notification per TrxType) →
//! `channel` (the HTTP client and the mapping to core types). Beside them, `statement` streams
//! the statement files that Settle and QueryTrnxRecords deliver.

pub mod channel;
pub mod crypto;
/// The fuzz targets' entry points (`fuzz/`), and their corpora replayed as tests.
#[doc(hidden)]
pub mod fuzz;
pub mod messages;
pub mod statement;
pub mod wire;
