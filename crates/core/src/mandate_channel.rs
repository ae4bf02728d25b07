//! The bank operations of mandates (授权支付): signing by the customer on the bank's page, its
//! result, query and unsigning, and debits without the customer, one at a time or in batches.
//! A channel that offers them returns this port from [`crate::channel::Channel::mandates`].

use crate::channel::{
    BankPaid, BatchAccepted, BatchLineStatus, BatchRef, BoxFuture, ChannelError, NotificationError,
    NotificationMode, RawMessage,
};
use crate::money::Amount;

/// A signing request: the bank shows the customer its page, where they enter their card and
/// agree or refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSignRequest {
    /// Our number for the signing at the bank (unique per channel account, like an order's).
    pub sign_request_no: String,
    /// `1` debit card, `3` credit card.
    pub card_type: String,
    /// `I`, `P`, `K`, `D`, `W` or `U`.
    pub certificate_type: String,
    /// The customer's document number, as given: sent to the bank, never kept.
    pub certificate_no: String,
    /// `YYYY-MM-DD`: the last day debits may be made.
    pub expires_on: String,
    /// The most one debit may take, if the mandate has a limit. The platform keeps it (the
    /// bank's AgentSign carries no limit): a debit over it is refused before any bank call.
    pub max_amount_per_debit: Option<Amount>,
    /// Where the bank sends the signing result (server and page).
    pub result_notify_url: String,
    pub created_at_ms: i64,
}

/// Where to send the customer to sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSignRedirect {
    pub sign_url: String,
}

/// A signed mandate, as the bank booked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankMandate {
    /// The bank's number for the mandate (ABC: AgentSignNo): debits name it.
    pub agent_sign_no: String,
    /// The card the customer chose, as the bank tells it (its last four digits: `****1234`).
    pub card_masked: String,
    pub signed_at_ms: i64,
}

/// What the bank says about a signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankMandateState {
    Signed(BankMandate),
    /// Refused by the customer, or failed at the bank: nothing was signed.
    Failed {
        code: String,
        reason: String,
    },
    /// Signed once, ended since.
    Cancelled,
    /// The customer has not decided yet.
    Pending,
    /// The bank has no signing under this number (the customer never reached the page).
    NotFound,
    /// The bank cannot tell yet (ABC: `EUNKWN`).
    Unknown {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateAnswer {
    pub state: BankMandateState,
    pub raw: RawMessage,
}

/// A verified signing result message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MandateSignNotification {
    pub sign_request_no: String,
    pub mode: NotificationMode,
    /// `Signed` or `Failed`.
    pub state: BankMandateState,
    /// The message decoded to text, personal data masked.
    pub raw_masked: String,
    /// Lowercase hex SHA-256 of the message as received: the de-duplication key.
    pub raw_sha256: String,
}

/// One debit without the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitRequest {
    /// The payment's order number at the bank.
    pub order_no: String,
    pub agent_sign_no: String,
    pub amount: Amount,
    pub subject: String,
    pub created_at_ms: i64,
}

/// What the bank says about a debit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BankDebitState {
    Paid(BankPaid),
    /// Refused (insufficient funds, mandate not valid at the bank, ...): nothing was taken.
    Failed {
        code: String,
        reason: String,
    },
    /// Unknown (ABC: `EUNKWN`): query the order.
    Unknown {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitAnswer {
    pub state: BankDebitState,
    pub raw: RawMessage,
}

/// Many debits in one request, carried out by the bank later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitBatchRequest {
    pub batch_no: String,
    pub created_at_ms: i64,
    pub lines: Vec<DebitBatchLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitBatchLine {
    pub seq_no: u32,
    pub agent_sign_no: String,
    /// The line's own payment's order number.
    pub order_no: String,
    pub amount: Amount,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitBatchResult {
    pub lines: Vec<DebitLineResult>,
    pub raw: RawMessage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebitLineResult {
    pub seq_no: u32,
    pub order_no: String,
    pub amount: Amount,
    pub status: BatchLineStatus,
    /// For a line that succeeded: the bank's serial, time and accounting date.
    pub paid: Option<BankPaid>,
    /// Why a line failed (the bank's code and message); empty otherwise.
    pub reason: String,
}

pub trait MandateChannel: Send + Sync {
    /// Registers a signing and gives the page to send the customer to (ABC: `AgentSign`).
    fn sign_mandate<'a>(
        &'a self,
        request: &'a MandateSignRequest,
    ) -> BoxFuture<'a, Result<MandateSignRedirect, ChannelError>>;

    /// Verifies and reads a signing result (the HTTP body as received), like a payment result.
    fn read_sign_result(&self, body: &[u8]) -> Result<MandateSignNotification, NotificationError>;

    /// What the bank says about the signing numbered `sign_request_no` (ABC: `QueryAgentSign`).
    fn query_mandate<'a>(
        &'a self,
        sign_request_no: &'a str,
    ) -> BoxFuture<'a, Result<MandateAnswer, ChannelError>>;

    /// Ends a signed mandate (ABC: `AgentUnSign`). `Cancelled` on success; a refusal is
    /// [`ChannelError::Refused`].
    fn cancel_mandate<'a>(
        &'a self,
        sign_request_no: &'a str,
        agent_sign_no: &'a str,
    ) -> BoxFuture<'a, Result<MandateAnswer, ChannelError>>;

    /// Debits a signed mandate (ABC: `AgentPay`). A refusal of the debit is an answer
    /// ([`BankDebitState::Failed`]); `Err` is a call whose outcome is unknown or whose answer
    /// is not believed.
    fn debit<'a>(
        &'a self,
        request: &'a DebitRequest,
    ) -> BoxFuture<'a, Result<DebitAnswer, ChannelError>>;

    /// The longest number the bank takes for a batch of debits (see
    /// [`crate::channel::Channel::refund_batch_no_len`]).
    fn debit_batch_no_len(&self) -> usize {
        32
    }

    /// How a batch of debits goes to the bank: the number of lines, taken in order, of each
    /// bank batch (each a [`MandateChannel::debit_batch`] of its own). One part by default.
    fn plan_debit_batch(&self, request: &DebitBatchRequest) -> Result<Vec<usize>, ChannelError> {
        Ok(vec![request.lines.len()])
    }

    /// Hands the bank a batch of debits (ABC: `AgentBatch`). A refused batch is
    /// [`ChannelError::Refused`]: none of its lines was taken.
    fn debit_batch<'a>(
        &'a self,
        request: &'a DebitBatchRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>>;

    /// Where the lines of an accepted debit batch stand (ABC: `AgentBatchQuery`).
    fn query_debit_batch<'a>(
        &'a self,
        batch: &'a BatchRef,
    ) -> BoxFuture<'a, Result<DebitBatchResult, ChannelError>>;
}
