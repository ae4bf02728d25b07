//! The back operations on an earlier transaction (`backTransReq.do`): consume void (`31`),
//! refund (`04`), pre-authorisation void (`32`), completion (`03`) and completion void
//! (`33`). Each is a new order (its own orderId, txnTime now) naming the original by its
//! queryId. All are asynchronous: `respCode=00` only means UnionPay took the request in
//! ("交易已受理(不代表交易已成功)"); the result comes by back notification (sent for success
//! and failure alike) or by query.

use super::common::{ChannelType, Merchant, MessageError, OrderId, TxnTime, TxnType, text_field};
use super::names::*;
use super::response_code::{CodeClass, classify};
use crate::fields::Fields;
use unipay_core::money::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackOperation {
    /// `31`: the whole consume, the same settlement day only.
    ConsumeVoid,
    /// `04`: part or all of a consume, within 11 months; several partial refunds allowed.
    Refund,
    /// `32`: the whole pre-authorised amount.
    PreAuthorizationVoid,
    /// `03`: takes up to 115% of the pre-authorised amount, within 30 days.
    PreAuthorizationCompletion,
    /// `33`: the whole completion.
    CompletionVoid,
}

impl BackOperation {
    pub fn txn_type(self) -> TxnType {
        match self {
            BackOperation::ConsumeVoid => TxnType::ConsumeVoid,
            BackOperation::Refund => TxnType::Refund,
            BackOperation::PreAuthorizationVoid => TxnType::PreAuthorizationVoid,
            BackOperation::PreAuthorizationCompletion => TxnType::PreAuthorizationCompletion,
            BackOperation::CompletionVoid => TxnType::CompletionVoid,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackRequest {
    pub operation: BackOperation,
    pub channel: ChannelType,
    /// The operation's own order number (not the original's).
    pub order_id: OrderId,
    /// Now, Beijing time.
    pub txn_time: TxnTime,
    /// For the voids, equal to the original's amount; UnionPay checks, not this crate.
    pub amount: Amount,
    /// The original's queryId (of the consume, the pre-authorisation or the completion).
    pub original_query_id: String,
    pub back_url: String,
    pub req_reserved: Option<String>,
}

impl BackRequest {
    pub fn fields(&self, merchant: &Merchant) -> Fields {
        let mut fields = merchant.base_fields(self.operation.txn_type(), "00", BIZ_GATEWAY);
        fields.set(CHANNEL_TYPE, self.channel.code());
        fields.set(ORDER_ID, self.order_id.as_str());
        fields.set(TXN_TIME, self.txn_time.as_str());
        fields.set(TXN_AMT, self.amount.fen().to_string());
        fields.set(CURRENCY_CODE, CURRENCY_CNY);
        fields.set(BACK_URL, &self.back_url);
        fields.set(ORIG_QRY_ID, &self.original_query_id);
        fields.set_optional(REQ_RESERVED, self.req_reserved.as_deref());
        fields
    }
}

/// What the synchronous answer to a back operation says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackOutcome {
    /// Taken in, not done: wait for the back notification, or query (by this operation's
    /// orderId and txnTime).
    Accepted { query_id: Option<String> },
    /// `03`/`04`/`05`: unknown whether it was taken in: query.
    Unknown { code: String, message: String },
    /// Refused: nothing will happen.
    Refused { code: String, message: String },
}

impl BackOutcome {
    /// Types a verified answer (see [`super::read_answer`]).
    pub fn from_answer(answer: &Fields) -> Result<BackOutcome, MessageError> {
        let code = answer
            .get(RESP_CODE)
            .ok_or(MessageError::MissingField(RESP_CODE))?;
        let message = text_field(answer, RESP_MSG).unwrap_or_default();
        Ok(match classify(code) {
            CodeClass::Accepted => BackOutcome::Accepted {
                query_id: text_field(answer, QUERY_ID),
            },
            CodeClass::Unknown => BackOutcome::Unknown {
                code: code.to_string(),
                message,
            },
            // A6 is a final state of a finished transaction, not an answer to a request.
            CodeClass::AcceptedWithDefect | CodeClass::Refused => BackOutcome::Refused {
                code: code.to_string(),
                message,
            },
        })
    }
}
