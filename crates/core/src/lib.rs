//! The heart of unipay: money, identifiers, the payment state machine, schedules and the
//! `Channel` port that every bank protocol implements. No I/O happens here.

pub mod bank_batch;
pub mod calendar;
pub mod capture_window;
pub mod channel;
pub mod clock;
pub mod csv;
pub mod destination;
pub mod event;
pub mod fees;
pub mod http_url;
pub mod identity;
pub mod identity_channel;
pub mod ids;
pub mod kcode;
pub mod ledger;
pub mod mandate;
pub mod mandate_channel;
pub mod masking;
pub mod money;
pub mod payment;
pub mod pii;
pub mod recon;
pub mod ref_no;
pub mod refund;
pub mod schedule;
pub mod secrets;
pub mod settlement;
pub mod statement;

pub use clock::{Clock, ManualClock, OffsetClock, SystemClock};
pub use money::{Amount, AmountError, Currency};
