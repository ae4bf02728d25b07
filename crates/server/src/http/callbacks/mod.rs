//! `/callbacks/...`: the bank's messages about payments, mandate signings and identity
//! verifications.

pub mod identity;
mod inbound;
pub mod mandate;
pub mod payment;

/// The largest bank message any callback reads.
pub const MAX_CALLBACK_BYTES: usize = 32 * 1024;
