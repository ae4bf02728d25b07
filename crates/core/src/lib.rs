//! The heart of unipay: money, identifiers, the payment state machine, schedules and the
//! `Channel` port that every bank protocol implements. No I/O happens here.

pub mod channel;
pub mod clock;
pub mod event;
pub mod fees;
pub mod ids;
pub mod ledger;
pub mod masking;
pub mod money;
pub mod payment;
pub mod recon;
pub mod refund;
pub mod schedule;
pub mod statement;

pub use clock::{Clock, ManualClock, SystemClock};
pub use money::{Amount, AmountError, Currency};
