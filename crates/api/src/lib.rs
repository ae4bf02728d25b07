//! The merchant API's wire types: the objects `/v1` answers and notifications carry, the
//! request bodies, the event envelope and the error catalogue. The server renders them, the
//! Rust client reads and sends them, and the OpenAPI document is generated from them, so the
//! three cannot disagree. Nothing here knows about storage or HTTP serving.

mod batch;
mod error;
mod error_code;
mod event;
mod identity;
mod mandate;
mod metadata;
mod payment;
mod refund;
mod request;
pub mod schemas;
mod transactions;

pub use batch::{BatchStatus, DebitBatch, DebitBatchLine, RefundBatch, RefundBatchLine};
pub use error::{ErrorBody, ErrorDetail, LineError};
pub use error_code::ErrorCode;
pub use event::{Event, IdentityEventType, MandateEventType, PaymentEventType, RefundEventType};
pub use identity::{CustomerType, IdentityVerification, VerifyMode, VerifyStatus};
pub use mandate::{CardType, Mandate, MandateStatus};
pub use metadata::Metadata;
pub use payment::{CaptureMode, KcodeState, KcodeStatus, Payment, PaymentStatus};
pub use refund::{Refund, RefundList, RefundStatus};
pub use request::*;
pub use transactions::{
    ChannelRecord, ChannelTransactions, Transaction, TransactionKind, TransactionPage,
    UnreadableLine,
};
