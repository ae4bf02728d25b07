//! The `Channel` port: what unipay may ask of any bank payment platform. Each bank protocol
//! (one crate each) implements it; the server only ever talks to banks through it.

use crate::identity_channel::IdentityChannel;
use crate::kcode::KcodeChannel;
use crate::mandate_channel::MandateChannel;
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
    /// Whether the bank takes the money at once or only authorizes it.
    pub capture: CaptureMode,
}

/// When the money is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CaptureMode {
    /// The bank takes the money when the consumer pays.
    #[default]
    Immediate,
    /// The bank only authorizes (pre-authorization, ABC `PreAuthPay`); the merchant later
    /// confirms (captures) some or all of it, or cancels it, with [`Channel::preauth`].
    Manual,
}

/// How the consumer's browser starts paying at the bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentRedirect {
    /// Send the browser to this address: the bank registered the order when asked and answered
    /// with its page (ABC's PaymentURL).
    Url(String),
    /// Have the browser POST these fields to `action` (UnionPay's `frontTransReq.do`): the
    /// signed request itself travels through the browser, so the bank gives no answer to read
    /// first, and whether it registered the order is known only by query.
    PostForm {
        action: String,
        fields: Vec<(String, String)>,
    },
}

/// A payment the bank says is settled in the merchant's favour; also, where the types say so,
/// an authorization or a pre-authorization operation as the bank booked it.
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
    /// The money is taken. Also for an order since refunded: the payment did succeed, and
    /// refunds are tracked on their own.
    Paid(BankPaid),
    /// A pre-authorization the consumer granted, neither confirmed nor cancelled yet: nothing
    /// is taken. `amount` is the authorized amount.
    Authorized(BankPaid),
    /// A pre-authorization confirmed: the money is taken. `amount` is the order amount the
    /// bank's query reports (see the channel for whether that is the captured amount).
    Captured(BankPaid),
    /// A pre-authorization cancelled: nothing is taken, and nothing can be any more.
    Cancelled,
    /// The bank declined or failed the payment for good.
    Failed { reason: String },
    /// The bank has no payment for the order (unpaid, or never reached it): safe to close.
    Unpaid,
    /// The bank cannot tell yet (ABC: `EUNKWN`, status `02`): ask again later.
    Unknown { reason: String },
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
    /// The bank's own code for the answer (ABC: `ReturnCode/Status`), shown to an operator.
    pub code: String,
    pub raw: RawMessage,
}

/// A refund of (part of) a paid order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The order number of the payment refunded.
    pub order_no: String,
    /// What the bank said of the payment refunded: a bank may name the original by its own
    /// serial rather than by our order number (UnionPay's `origQryId`), or take a refund of
    /// all of it on its own day as a void.
    pub payment: RefundedPayment,
    /// The refund's own number at the bank (unique per channel account, never an order's).
    pub refund_no: String,
    pub amount: Amount,
    /// Why, for the bank's record (cut to what the bank keeps).
    pub reason: String,
    pub created_at_ms: i64,
    /// Where a bank that carries refunds out later sends the result (UnionPay's `backUrl`):
    /// the channel account's notification address, as for the payment.
    pub result_notify_url: String,
}

/// The payment a refund takes money back from, as the bank booked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundedPayment {
    /// The bank's serial for the payment ([`BankPaid::channel_trade_no`]; for a captured
    /// pre-authorization, the capture's), when the bank gave one.
    pub channel_trade_no: Option<String>,
    /// What the payment collected: its amount, or the captured amount.
    pub collected: Amount,
    /// `YYYY-MM-DD`: the bank's accounting date for the payment, when known.
    pub accounting_date: Option<String>,
    /// A captured pre-authorization: what is refunded is the capture (UnionPay voids it with a
    /// completion void rather than a consume void).
    pub captured_preauth: bool,
}

/// A refund the bank says it carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankRefunded {
    /// The bank's serial for the refund (ABC: iRspRef).
    pub channel_refund_no: String,
    pub refunded_at_ms: i64,
    /// `YYYY-MM-DD`: the bank's accounting date for the refund (with the account's cut-over).
    pub accounting_date: String,
}

/// What the bank says about a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankRefundState {
    Succeeded(BankRefunded),
    /// The bank refused or failed the refund for good: no money went back. `code` is the
    /// bank's (ABC: the ReturnCode, or `99` for a refund its query reports failed).
    Failed {
        code: String,
        reason: String,
    },
    /// The bank cannot tell yet (ABC: `EUNKWN`, status `02`): ask again later.
    Unknown {
        reason: String,
    },
    /// The bank took the refund in and will carry it out later (UnionPay: a back transaction's
    /// `00`, "受理" and not "成功"). Nothing is known of the money yet: the result comes by the
    /// bank's notification or by query, never by this answer.
    Accepted {
        reason: String,
    },
    /// Only from a query: the bank holds no refund under this number (ABC: `2308` and the
    /// other no-such-order codes). Nothing went back, and nothing was refused either: the
    /// request never reached the bank (or has not yet). Sending the same refund again is safe,
    /// since a bank that did get it answers a repeat with its first answer.
    NotFound {
        code: String,
        reason: String,
    },
}

/// What a refund (or its query) found, and the answer it found it in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundAnswer {
    pub state: BankRefundState,
    pub raw: RawMessage,
}

/// Many refunds in one request, carried out by the bank later (ABC: `BatchRefund`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRefundRequest {
    /// Our number for the batch (unique per channel account and day).
    pub batch_no: String,
    pub created_at_ms: i64,
    pub lines: Vec<BatchRefundLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRefundLine {
    /// The line's number in the batch, unique in it.
    pub seq_no: u32,
    /// The order number of the payment refunded.
    pub order_no: String,
    /// The refund's own number, as for a single refund.
    pub refund_no: String,
    pub amount: Amount,
    pub remark: String,
}

/// A batch the bank took in. Keep all of it: [`Channel::query_batch_refund`] names the batch
/// by these values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchAccepted {
    /// The bank's number for the batch.
    pub serial_number: String,
    /// `YYYY-MM-DD` and `HH:MM:SS`: the batch's date and time as sent (Beijing time for ABC).
    pub batch_date: String,
    pub batch_time: String,
    pub raw: RawMessage,
}

/// Names a batch the bank accepted (from the request and its [`BatchAccepted`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRef {
    pub batch_no: String,
    /// `YYYY-MM-DD` and `HH:MM:SS`, as in [`BatchAccepted`].
    pub batch_date: String,
    pub batch_time: String,
    pub serial_number: String,
}

/// Where each line of a batch stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchRefundResult {
    pub lines: Vec<BatchLineResult>,
    pub raw: RawMessage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLineResult {
    /// The refund's own number: the bank's answer names a line by it (and by the payment's
    /// order number), not by its place in the batch.
    pub refund_no: String,
    pub amount: Amount,
    pub status: BatchLineStatus,
    /// Why a line failed (the bank's code and message), or what is unclear about it; empty
    /// otherwise.
    pub reason: String,
    /// The accounting date the bank books a succeeded line under (`YYYY-MM-DD`): the date of
    /// the batch's acceptance by the bank's cut-over, which its statement lists the line on.
    pub accounting_date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchLineStatus {
    /// Not processed yet.
    Pending,
    Succeeded,
    Failed,
    /// Processed, but the bank has no result for it yet: ask again (or query the refund).
    NoResponse,
}

/// What to do with a pre-authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreAuthOperation {
    /// Take `amount` (at most the authorized amount) of it.
    Confirm { amount: Amount },
    /// Release all of it: `amount` is the amount held, which the bank's own client sends with
    /// a Cancel too.
    Cancel { amount: Amount },
}

/// What the bank says about a pre-authorization operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankPreAuthState {
    /// Carried out: `amount` is what was captured (Confirm) or released (Cancel),
    /// `channel_trade_no` the bank's serial for the operation, `paid_at_ms` its time.
    Done(BankPaid),
    /// The bank refused the operation: nothing changed.
    Refused { code: String, reason: String },
    /// The bank took the operation in and carries it out later (UnionPay's back transactions):
    /// query the original order for the result.
    Accepted { reason: String },
    /// The bank cannot tell (ABC: `EUNKWN`): query the original order.
    Unknown { reason: String },
}

/// One capture or cancel of a pre-authorization, with what each bank needs to name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreAuthRequest {
    /// The order number of the hold.
    pub original_order_no: String,
    /// The bank's serial for the hold (UnionPay's `queryId`, which its back transactions
    /// name the original by); `None` when the bank gave none.
    pub original_trade_no: Option<String>,
    /// The operation's own number at the bank (new, like a refund's).
    pub operation_no: String,
    pub operation: PreAuthOperation,
    /// The operation's time at the bank: a repeat, and the operation's query, name it by the
    /// same time (UnionPay's `txnTime`).
    pub operation_time_ms: i64,
    /// Where the bank sends the operation's result (UnionPay's `backUrl`).
    pub result_notify_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreAuthAnswer {
    pub state: BankPreAuthState,
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
    Failed {
        reason: String,
        amount: Amount,
    },
    /// The final result of a later operation on a payment (UnionPay notifies its back
    /// transactions: refund, void, pre-authorization completion), named by the operation's
    /// own number in [`BankNotification::order_no`]. A refund's result is applied to the
    /// refund of that number, like a query's answer; an operation the platform keeps no row
    /// for is kept and settled by querying.
    Operation {
        /// The bank's transaction type code (UnionPay's `txnType`).
        kind: String,
        succeeded: bool,
        amount: Amount,
        reason: String,
        /// The bank's serial for the operation (UnionPay's `queryId`); empty when not given.
        channel_trade_no: String,
        /// `YYYY-MM-DD`: the bank's accounting date for the operation.
        accounting_date: String,
        /// For a capture or cancel of a pre-authorization: which, and the hold it acts on.
        preauth: Option<NotifiedPreAuth>,
    },
}

/// Which pre-authorization a notified operation captured or cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifiedPreAuth {
    /// `true` for a cancel (the hold released), `false` for a capture.
    pub cancel: bool,
    /// The hold's order number, as the bank echoes it back in the signed notification.
    pub original_order_no: String,
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
    /// What was asked for does not exist yet and may later (a day's statement before the bank
    /// has produced it): nothing is wrong, ask again later.
    #[error("not ready at the bank: {0}")]
    NotReady(String),
}

/// Why an inbound message was not believed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    #[error("message is malformed: {0}")]
    Malformed(String),
    #[error("signature does not verify")]
    BadSignature,
    /// Signed, but by a key the account does not believe: an unknown `certId`, a certificate
    /// out of date, off the configured chain or under another name.
    #[error("signature not believed: {0}")]
    Untrusted(String),
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

    /// What the bank says about the order `order_no`, requested at `requested_at_ms` (the
    /// [`PaymentRequest::created_at_ms`] it was sent with): a bank may know an order by its
    /// number and time together (UnionPay: orderId and txnTime), so a query repeats both.
    /// `pay_by_ms` is the deadline it was sent with ([`PaymentRequest::expires_at_ms`]): a bank
    /// that stops taking payment then may call an order still open after it unpaid (UnionPay:
    /// past `payTimeout`, an `origRespCode` other than `00`/`A6` is final).
    fn query_payment<'a>(
        &'a self,
        order_no: &'a str,
        requested_at_ms: i64,
        pay_by_ms: i64,
    ) -> BoxFuture<'a, Result<QueryAnswer, ChannelError>>;

    /// Refunds (part of) a paid order. A refusal of the refund itself is an answer
    /// ([`BankRefundState::Failed`]); `Err` is a call whose outcome is unknown
    /// ([`ChannelError::Unknown`]), that never reached the bank, that the bank refused as a
    /// message (unreadable, unverifiable: nothing was judged), or whose answer is not believed.
    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>>;

    /// What the bank says about the refund numbered `refund_no`, requested at
    /// `requested_at_ms` ([`RefundRequest::created_at_ms`], as for a payment's query). A refund
    /// the bank never registered is [`BankRefundState::NotFound`] (nothing went back; send it
    /// again).
    fn query_refund<'a>(
        &'a self,
        refund_no: &'a str,
        requested_at_ms: i64,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>>;

    /// The longest number the bank takes for a batch of refunds: a batch sent in parts gives
    /// each part the batch's number cut to fit, with the part's own ending.
    fn refund_batch_no_len(&self) -> usize {
        32
    }

    /// How a batch of refunds goes to the bank: the number of lines, taken in order, of each
    /// bank batch (each a [`Channel::batch_refund`] of its own). One part by default.
    fn plan_refund_batch(&self, request: &BatchRefundRequest) -> Result<Vec<usize>, ChannelError> {
        Ok(vec![request.lines.len()])
    }

    /// Hands the bank a batch of refunds, carried out later. A refused batch is
    /// [`ChannelError::Refused`]: none of its lines was taken.
    fn batch_refund<'a>(
        &'a self,
        request: &'a BatchRefundRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>>;

    /// Where the lines of an accepted batch stand.
    fn query_batch_refund<'a>(
        &'a self,
        batch: &'a BatchRef,
    ) -> BoxFuture<'a, Result<BatchRefundResult, ChannelError>>;

    /// The most a capture may take of a hold, in percent of it (at most
    /// [`crate::payment::MAX_CAPTURE_PERCENT`]): ABC confirms up to the authorized amount.
    fn capture_limit_percent(&self) -> i64 {
        100
    }

    /// How many days after the hold a capture may still come
    /// ([`crate::capture_window::capture_window_passed`]), or `None` when the bank sets no such
    /// limit (ABC's documentation names none).
    fn capture_window_days(&self) -> Option<u32> {
        None
    }

    /// Confirms or cancels a pre-authorization.
    fn preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<PreAuthAnswer, ChannelError>>;

    /// Where an operation the bank took in (or could not answer) stands, asked of the bank by
    /// the operation's own number and time. `None`: the bank has no such query, and the
    /// original order's query tells instead (ABC, whose order shows the capture).
    fn query_preauth<'a>(
        &'a self,
        _request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<Option<PreAuthAnswer>, ChannelError>> {
        Box::pin(async { Ok(None) })
    }

    /// Verifies and reads a result notification (the HTTP request body as received).
    fn read_notification(&self, body: &[u8]) -> Result<BankNotification, NotificationError>;

    /// Verifies and reads a result the consumer's browser brings back to the address the bank
    /// was given for it (UnionPay's `frontUrl`), which differs from the server notification's
    /// only by how it travelled. A bank whose page result comes to the server notification's
    /// address (ABC) reads both there.
    fn read_browser_notification(
        &self,
        body: &[u8],
    ) -> Result<BankNotification, NotificationError> {
        self.read_notification(body)
    }

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

    /// Mandates and debits without the customer (授权支付), when the channel offers them.
    fn mandates(&self) -> Option<&dyn MandateChannel> {
        None
    }

    /// K-code payment (网上K码支付: no page redirect), when the channel offers it.
    fn kcode(&self) -> Option<&dyn KcodeChannel> {
        None
    }

    /// Identity verification (身份验证), when the channel offers it.
    fn identity(&self) -> Option<&dyn IdentityChannel> {
        None
    }
}
