//! Read models for the operations console: searches with keyset paging, a payment's whole
//! story (bank messages, delivery attempts), failing notification endpoints, and the
//! administration lists. Every change an operator asks for goes through the same store
//! functions the API and the command line use; the few changes only administration makes
//! (an app's secret, its status) live in `browse/admin.rs` with their audit entry.

pub mod admin;
pub mod identity;
pub mod mandates;
pub mod notifications;
pub mod payments;
pub mod refunds;
pub mod settlement;

/// The most rows one console page shows.
pub const PAGE_ROWS: i64 = 50;
