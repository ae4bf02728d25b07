//! Every field name and code the simulator writes that ABC's SDK does not confirm (**A** in
//! `docs/ABC-WIRE.md`), one constant each, so that a capture from the real bank corrects it in
//! one place. The bank client keeps its own table (`channel-abc`'s `messages/assumed.rs`); the
//! two are kept equal by reading the contract, not by sharing code. Names the SDK's demo pages
//! read (**S**) are written where they are used.

// Common to answers and notifications.
pub const RETURN_CODE: &str = "ReturnCode";
pub const ERROR_MESSAGE: &str = "ErrorMessage";
pub const EC_MERCHANT_TYPE: &str = "ECMerchantType";
pub const MERCHANT_ID: &str = "MerchantID";
pub const TRX_TYPE: &str = "TrxType";
pub const ORDER_NO: &str = "OrderNo";
pub const HOST_DATE: &str = "HostDate";
pub const HOST_TIME: &str = "HostTime";
pub const NOTIFY_TYPE: &str = "NotifyType";
pub const BATCH_NO: &str = "BatchNo";
pub const BATCH_DATE: &str = "BatchDate";
pub const VOUCHER_NO: &str = "VoucherNo";
pub const I_RSP_REF: &str = "iRspRef";
pub const PAY_TYPE: &str = "PayType";
/// Why a line or a signing failed: the ReturnCode a single transaction would have got, and
/// its message.
pub const REASON_CODE: &str = "ReasonCode";
pub const REASON: &str = "Reason";

// AgentSign, QueryAgentSign, AgentUnSign, AgentPay.
pub const AGENT_SIGN_NO: &str = "AgentSignNo";
pub const AMOUNT: &str = "Amount";
/// QueryAgentSign's AgentSignStatus: waiting for the customer, signed, refused or failed,
/// unsigned.
pub const SIGN_STATUS_PENDING: &str = "0";
pub const SIGN_STATUS_SIGNED: &str = "1";
pub const SIGN_STATUS_REFUSED: &str = "2";
pub const SIGN_STATUS_UNSIGNED: &str = "3";
/// A refused signing's ReturnCode in the AGENTSIGN notification.
pub const SIGN_REFUSED_CODE: &str = "2409";

// AgentBatch, AgentBatchQuery.
pub const AGENT_COUNT: &str = "AgentCount";
pub const AGENT_AMOUNT: &str = "AgentAmount";
/// A debit line's OrderStatus: not carried out yet, paid, failed.
pub const LINE_NOT_DONE: &str = "X";
pub const LINE_PAID: &str = "0";
pub const LINE_FAILED: &str = "1";
/// BatchStatus: received, running, finished.
pub const BATCH_RECEIVED: &str = "0";
pub const BATCH_RUNNING: &str = "1";
pub const BATCH_FINISHED: &str = "2";

// PreAuthCancelConfirm.
pub const OPERATE_TYPE: &str = "OperateType";
pub const ORIGINAL_ORDER_NO: &str = "OriginalOrderNo";
pub const ORDER_AMOUNT: &str = "OrderAmount";

// StaticIdentifyVerifyReq, and the identity result notification.
pub const IDENTITY_RESULT_TRX_TYPE: &str = "IdentityVerifyResult";
pub const BANK_CARD_NO: &str = "BankCardNo";
pub const CERTIFICATE_NO: &str = "CertificateNo";
/// The verdict: match is `0000`, mismatch this.
pub const IDENTITY_MISMATCH_CODE: &str = "2401";

// QueryBatchRefund.
pub const BATCH_STATUS: &str = "BatchStatus";
pub const REFUND_COUNT: &str = "RefundCount";
pub const REFUND_AMOUNT: &str = "RefundAmount";
pub const SUCCESS_COUNT: &str = "SuccessCount";
pub const SUCCESS_AMOUNT: &str = "SuccessAmount";
pub const FAILED_COUNT: &str = "FailedCount";
pub const FAILED_AMOUNT: &str = "FailedAmount";
