//! Typed messages per TrxType: each able to build its M and read the answer's M.
//!
//! Struct fields are declared in the order ABC's own client writes them: serde_json writes
//! fields in declaration order, so the structs reproduce the captured bytes exactly. Every
//! value is a string on the wire (amounts `"12.34"`, flags `"true"`), so the wire structs hold
//! strings; the typed readers (`NotificationFields`, `OrderStatus`) sit on top. Reading is
//! forgiving (`#[serde(default)]`: a missing field reads as `""`), because error answers carry
//! only `ReturnCode` and `ErrorMessage`.

mod agent;
mod batch_refund;
mod envelope;
mod identity;
mod kcode;
mod notification;
mod pay;
mod preauth;
mod query;
mod records;
mod refund;
mod result_xml;
mod settle;
mod status;

pub use agent::{
    AGENT_SIGN, AGENT_UNSIGN, AgentBatchDetail, AgentBatchHeader, AgentBatchLineResult,
    AgentBatchQueryRequest, AgentBatchQueryResponse, AgentBatchRequest, AgentBatchResponse,
    AgentPayRequest, AgentPayResponse, AgentSignRequest, AgentSignResponse,
    AgentSignResultNotification, AgentUnSignRequest, AgentUnSignResponse, IS_SIGN,
    QueryAgentSignRequest, QueryAgentSignResponse, SIGN_ACTIVE, SIGN_CANCELLED, SIGN_FAILED,
    SIGN_PENDING,
};
pub use batch_refund::{
    BatchRefundLine, BatchRefundLineResult, BatchRefundRequest, BatchRefundResponse, LINE_FAILED,
    LINE_NO_RESPONSE, LINE_PENDING, LINE_SUCCEEDED, QueryBatchRefundRequest,
    QueryBatchRefundResponse,
};

pub use envelope::{
    ErrorResponse, Merchant, RequestMessage, ResponseHead, ResponseMessage, read_request_header,
};

envelope::response_head!(IdentityVerifyResponse, StaticIdentifyVerifyResponse);
envelope::response_head!(
    AgentBatchQueryResponse,
    AgentBatchResponse,
    AgentPayResponse,
    AgentSignResponse,
    AgentUnSignResponse,
    QueryAgentSignResponse,
    BatchRefundResponse,
    PayResponse,
    PreAuthResponse,
    QueryBatchRefundResponse,
    QueryResponse,
    RefundResponse,
    SettleResponse,
    TrnxRecordsResponse
);
pub use identity::{
    IDENTITY_VERIFY_REQ, IDENTITY_VERIFY_RESULT, IdentityResultNotification, IdentityVerifyRequest,
    IdentityVerifyResponse, RETURN_CODE_IDENTITY_MISMATCH, STATIC_IDENTIFY_VERIFY_REQ,
    StaticIdentifyVerifyRequest, StaticIdentifyVerifyResponse,
};
pub use kcode::{
    KPayCodeResponse, KPayOrder, KPayRequest, KPayResendRequest, KPayResponse, KPayVerifyOrder,
    KPayVerifyRequest, RETURN_CODE_RESEND_LIMIT, RETURN_CODE_VERIFY_ATTEMPTS_EXHAUSTED,
    RETURN_CODE_VERIFY_CODE_EXPIRED, RETURN_CODE_WRONG_VERIFY_CODE,
};
pub use notification::{NotificationFields, PayResultNotification};
pub use pay::{OrderItem, PayOrder, PayRequest, PayResponse};
pub use preauth::{OPERATE_CANCEL, OPERATE_CONFIRM, PreAuthOrder, PreAuthRequest, PreAuthResponse};
pub use query::{QueryOrder, QueryRequest, QueryResponse};
pub use records::{CarvedMessage, DETAIL_RECORDS, ZIP_DETAIL_RECORDS, carve_records};
pub use refund::{RefundQueryOrder, RefundRequest, RefundResponse};
pub use settle::{
    SettleRequest, SettleResponse, StatementResponse, TrnxRecordsRequest, TrnxRecordsResponse,
    ZIP_GZIP, ZIP_PLAIN,
};
pub use status::OrderStatus;

/// `Version` of every message.
pub const VERSION: &str = "V3.0.0";
/// `ECMerchantType` of an e-commerce merchant.
pub const EC_MERCHANT_TYPE: &str = "EBUS";
/// `ReturnCode`: success.
pub const RETURN_CODE_SUCCESS: &str = "0000";
/// `ReturnCode`: the outcome is unknown; query again.
pub const RETURN_CODE_UNKNOWN: &str = "EUNKWN";
/// `ReturnCode` of a Query for an order the platform does not hold (订单不存在). The simulator
/// answers it; production may use others, which [`NO_SUCH_ORDER_CODES`] lists.
pub const RETURN_CODE_NO_SUCH_ORDER: &str = "2308";
/// Query `ReturnCode`s that mean "no such order": the platform never registered a payment.
pub const NO_SUCH_ORDER_CODES: &[&str] = &[RETURN_CODE_NO_SUCH_ORDER];
/// `PayTypeID` of a plain payment.
pub const PAY_TYPE_IMMEDIATE: &str = "ImmediatePay";
/// `PayTypeID` of a pre-authorization: the consumer's money is held, taken only when the
/// merchant confirms (`PreAuthCancelConfirm`).
pub const PAY_TYPE_PREAUTH: &str = "PreAuthPay";
/// `PayTypeID` of a refund read back by Query under its NewOrderNo (**assumed**, as the
/// simulator answers).
pub const PAY_TYPE_REFUND: &str = "Refund";
/// `ReturnCode`s by which the platform refuses a request as a message, before judging the
/// transaction: unreadable (`1301`), unverifiable (`1302`), too large (`1303`), unknown
/// algorithm (`1304`), merchant not set up (`2001`), TrxType not offered (`2002`), a field
/// missing or invalid (`2101`). Such a request was not carried out, and sending it again will
/// not change that: it needs an operator, not a customer-facing "refund failed". The codes are
/// the simulator's; the real platform's own ones belong here too once known.
pub const MESSAGE_REJECTED_CODES: &[&str] =
    &["1301", "1302", "1303", "1304", "2001", "2002", "2101"];
/// `CurrencyCode` of the yuan.
pub const CURRENCY_CNY: &str = "156";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MessageError {
    #[error("message unreadable: {0}")]
    Unreadable(String),
    #[error("field {field} is missing or invalid: {detail}")]
    BadField { field: &'static str, detail: String },
}

impl MessageError {
    fn bad(field: &'static str, detail: impl std::fmt::Display) -> MessageError {
        MessageError::BadField {
            field,
            detail: detail.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
