//! Field names, as the SDKs' `SDKConstants` spell them.

pub const ACCESS_TYPE: &str = "accessType";
pub const BACK_URL: &str = "backUrl";
pub const BIZ_TYPE: &str = "bizType";
pub const CHANNEL_TYPE: &str = "channelType";
pub const CURRENCY_CODE: &str = "currencyCode";
pub const FILE_CONTENT: &str = "fileContent";
pub const FILE_NAME: &str = "fileName";
pub const FILE_TYPE: &str = "fileType";
pub const FRONT_URL: &str = "frontUrl";
pub const ISS_INS_CODE: &str = "issInsCode";
pub const MER_ID: &str = "merId";
pub const ORDER_ID: &str = "orderId";
pub const ORIG_QRY_ID: &str = "origQryId";
pub const ORIG_RESP_CODE: &str = "origRespCode";
pub const ORIG_RESP_MSG: &str = "origRespMsg";
pub const PAY_TIMEOUT: &str = "payTimeout";
pub const QUERY_ID: &str = "queryId";
pub const REQ_RESERVED: &str = "reqReserved";
pub const RESP_CODE: &str = "respCode";
pub const RESP_MSG: &str = "respMsg";
pub const SETTLE_AMT: &str = "settleAmt";
pub const SETTLE_DATE: &str = "settleDate";
pub const TRACE_NO: &str = "traceNo";
pub const TRACE_TIME: &str = "traceTime";
pub const TXN_AMT: &str = "txnAmt";
pub const TXN_SUB_TYPE: &str = "txnSubType";
pub const TXN_TIME: &str = "txnTime";
pub const TXN_TYPE: &str = "txnType";

/// `bizType` of B2C gateway and WAP payment.
pub const BIZ_GATEWAY: &str = "000201";
/// `bizType` of the file download.
pub const BIZ_GENERAL: &str = "000000";
/// `accessType` of a merchant connected directly (not a platform or an institution).
pub const ACCESS_DIRECT: &str = "0";
/// `currencyCode` of the yuan.
pub const CURRENCY_CNY: &str = "156";
