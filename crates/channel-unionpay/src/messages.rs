//! Typed requests, answers and outcomes for the gateway's transactions (§4 of the protocol):
//! consume and pre-authorisation through the payer's browser, query, the back operations
//! (void, refund, pre-authorisation void, completion, completion void), the reconciliation
//! file download, and the back notification.
//!
//! A request is built as [`crate::Fields`], signed with [`crate::signing::sign`] and sent as a form
//! ([`crate::wire::encode_form`], or [`crate::wire::auto_submit_form`] for the browser). An
//! answer is read with [`read_answer`] (parsed, verified, checked against the request) and
//! then typed by the transaction's own `outcome` function.

mod answer;
mod back;
mod common;
mod file_download;
mod front;
pub mod names;
mod notification;
mod query;
mod response_code;

pub use answer::{AnswerError, read_answer};
pub use back::{BackOperation, BackOutcome, BackRequest};
pub use common::{ChannelType, Merchant, MessageError, OrderId, TxnTime, TxnType};
pub use file_download::{
    DeliveredFile, FileDownloadError, FileDownloadOutcome, FileDownloadRequest,
};
pub use front::{FrontPayment, FrontPaymentKind};
pub use notification::{NotificationError, NotifiedOutcome, ResultNotification, read_notification};
pub use query::{OriginalState, QueriedTransaction, QueryOutcome, QueryRequest};
pub use response_code::{CodeClass, classify};

#[cfg(test)]
mod tests;
