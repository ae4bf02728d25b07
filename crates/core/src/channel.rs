//! The `Channel` port: what unipay may ask of any bank payment platform. Each bank protocol
//! (one crate each) implements it; the server only ever talks to banks through it.

use crate::money::{Amount, Currency};
use crate::statement::{StatementError, StatementSink, StatementSummary, StatementTotals};
use std::future::Future;
use std::pin::Pin;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A payment request for the bank, built by the cashier once the consumer chose how to pay.
#[derive(Debug, Clone)]
pub struct PaymentRequest {
    /// The order number the bank knows the payment by (unique per channel account).
    pub order_no: String,
    pub amount: Amount,
    pub currency: Currency,
    pub subject: String,
    /// One of the payment types the channel account allows (for ABC: `1`, `3`, `6`, `7`, `A`).
    pub payment_type: String,
    /// Where the bank sends the result (page and server notifications).
    pub result_notify_url: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    /// The consumer's address, when the bank wants it.
    pub buyer_ip: Option<String>,
}

/// Where to send the consumer's browser to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRedirect {
    pub payment_url: String,
}

/// A payment the bank says is settled in the merchant's favour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankPaid {
    pub amount: Amount,
    /// The bank's serial for the payment (ABC: iRspRef).
    pub channel_trade_no: String,
    pub paid_at_ms: i64,
    /// `YYYY-MM-DD`: the bank's accounting date for the payment.
    pub accounting_date: String,
}

/// What the bank says about an order, by query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankPaymentState {
    Paid(BankPaid),
    /// The bank declined or failed the payment for good.
    Failed {
        reason: String,
    },
    /// The bank has no payment for the order (unpaid, or never reached it): safe to close.
    Unpaid,
    /// The bank cannot tell yet (ABC: `EUNKWN`, status `02`): ask again later.
    Unknown {
        reason: String,
    },
}

/// A bank answer as received, for the record: masked text and the hash of its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The answer decoded to text, with personal data masked.
    pub masked: String,
    /// Lowercase hex SHA-256 of the bytes as received.
    pub sha256: String,
}

/// What a query found, and the answer it found it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryAnswer {
    pub state: BankPaymentState,
    pub raw: RawMessage,
}

/// A statement file as the bank delivered it (a daily statement, or the transactions of some
/// hours), for the record and for [`Channel::parse_statement`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementFile {
    /// The file exactly as delivered once the transport encoding is undone (for ABC: the
    /// base64 is decoded, the gzip is kept). Kept untouched: the bank's own record.
    pub bytes: Vec<u8>,
    /// Whether `bytes` is gzip-compressed.
    pub gzip: bool,
    /// The totals the answer declares about the file.
    pub declared: StatementTotals,
    /// Lowercase hex SHA-256 of `bytes`.
    pub sha256: String,
    /// The answer that carried the file. Its masked text may leave the file itself out (it can
    /// be a gigabyte, and holds customers' account numbers); its hash is of the whole answer.
    pub raw: RawMessage,
}

/// How a result notification reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationMode {
    /// Through the consumer's browser.
    Page,
    /// Server to server.
    Server,
}

/// A verified result notification from the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankNotification {
    pub order_no: String,
    pub mode: NotificationMode,
    pub outcome: NotificationOutcome,
    /// The raw message as received, decoded to text, with personal data masked.
    pub raw_masked: String,
    /// Lowercase hex SHA-256 of the raw message bytes as received: the de-duplication key.
    pub raw_sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationOutcome {
    Paid(BankPaid),
    Failed { reason: String, amount: Amount },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// The request may or may not have reached the bank: its outcome is unknown.
    #[error("bank call timed out or the connection was lost: {0}")]
    Unknown(String),
    /// The request never reached the bank (connection refused, bad address).
    #[error("bank unreachable: {0}")]
    Unreachable(String),
    /// The bank answered and refused the request.
    #[error("bank refused the request ({code}): {message}")]
    Refused { code: String, message: String },
    /// The bank's answer could not be believed (bad signature, unreadable, wrong merchant).
    #[error("bank answer rejected: {0}")]
    BadAnswer(String),
}

/// Why an inbound message was not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("message is malformed: {0}")]
    Malformed(String),
    #[error("signature does not verify")]
    BadSignature,
    #[error("message names merchant {0}, not ours")]
    WrongMerchant(String),
    #[error("message is too large")]
    TooLarge,
}

/// The verified facts a notification claims, checked against our own order by the caller.
pub trait Channel: Send + Sync {
    /// A short name for logs and the payment object (`abc`).
    fn name(&self) -> &'static str;

    /// Payment types the consumer may choose at the cashier, with a label for each.
    fn payment_types(&self) -> Vec<(String, String)>;

    fn request_payment<'a>(
        &'a self,
        request: &'a PaymentRequest,
    ) -> BoxFuture<'a, Result<PaymentRedirect, ChannelError>>;

    fn query_payment<'a>(
        &'a self,
        order_no: &'a str,
    ) -> BoxFuture<'a, Result<QueryAnswer, ChannelError>>;

    /// Verifies and reads a result notification (the HTTP request body as received).
    fn read_notification(&self, body: &[u8]) -> Result<BankNotification, NotificationError>;

    /// The answer the bank expects to a server notification: content type and body, sending
    /// the consumer on to `customer_url`.
    fn notification_answer(&self, customer_url: &str) -> (&'static str, Vec<u8>);

    /// Downloads the daily statement (对账单) of one accounting date (`YYYY-MM-DD`).
    fn fetch_statement<'a>(
        &'a self,
        accounting_date: &'a str,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>>;

    /// Downloads the transactions of `date` (`YYYY-MM-DD`) from `start_hour` to `end_hour`
    /// (0–23, both included), in the statement's layout (ABC: 交易流水查询).
    fn query_transactions<'a>(
        &'a self,
        date: &'a str,
        start_hour: u8,
        end_hour: u8,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>>;

    /// Streams a statement file (as [`StatementFile::bytes`]) line by line into `sink`. Each
    /// bank writes its own layout, so reading it belongs to the channel. It blocks and works
    /// for seconds on a large file: an async caller runs it with `spawn_blocking`.
    fn parse_statement(
        &self,
        file: &mut dyn std::io::Read,
        gzip: bool,
        sink: &mut dyn StatementSink,
    ) -> Result<StatementSummary, StatementError>;
}
