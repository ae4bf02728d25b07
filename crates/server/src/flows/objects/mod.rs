//! The payment, refund, mandate and identity-verification objects as the API answers them and
//! the business notifications carry them.

pub mod identity;
pub mod mandate;
pub mod payment;
pub mod refund;
