//! `BatchRefund` (批量退款): up to 10,000 refunds in one request, carried out by the platform
//! later; `QueryBatchRefund` (批量退款结果查询) then tells where each line stands.
//!
//! The query's answer lists the lines in `Order`, with the names the bank's own client's demo
//! reads (OriginalOrderNo, RefundOrderNo, CurrencyCode, RefundAmountCell, OrderStatus, Remark);
//! a failed line's ReasonCode and Reason, and the batch's counts, are **assumed** (as the
//! simulator writes them).

use serde::{Deserialize, Serialize};

/// `OrderStatus` of a batch line: not processed yet.
pub const LINE_PENDING: &str = "X";
/// `OrderStatus` of a batch line: refunded.
pub const LINE_SUCCEEDED: &str = "0";
/// `OrderStatus` of a batch line: failed (`ReasonCode`, `Reason` say why).
pub const LINE_FAILED: &str = "1";
/// `OrderStatus` of a batch line: no response from the host (yet).
pub const LINE_NO_RESPONSE: &str = "2";

/// TrxRequest of a BatchRefund.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BatchRefundRequest {
    /// Always `BatchRefund`.
    pub trx_type: String,
    /// The merchant's number for the batch, unique per merchant and BatchDate.
    pub batch_no: String,
    /// `YYYY/MM/DD` and `HH:MM:SS`; QueryBatchRefund names the batch by them again.
    pub batch_date: String,
    pub batch_time: String,
    pub mer_refund_account_no: String,
    pub mer_refund_account_name: String,
    /// The number of lines, 1 to 10,000.
    pub total_count: String,
    /// Yuan: the sum of the lines' RefundAmount.
    pub total_amount: String,
    pub order_data: Vec<BatchRefundLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BatchRefundLine {
    /// 1 to 10 digits, unique in the batch.
    pub seq_no: String,
    /// The refunded order.
    pub order_no: String,
    /// The refund's own number.
    pub new_order_no: String,
    pub currency_code: String,
    /// Yuan.
    pub refund_amount: String,
    /// At most 100 characters.
    pub remark: String,
}

/// TrxResponse of an accepted BatchRefund.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BatchRefundResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    pub total_count: String,
    pub total_amount: String,
    /// The platform's number for the batch: QueryBatchRefund needs it.
    pub serial_number: String,
    pub host_date: String,
    pub host_time: String,
}

/// TrxRequest of a QueryBatchRefund.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryBatchRefundRequest {
    /// Always `QueryBatchRefund`.
    pub trx_type: String,
    /// As sent in the BatchRefund.
    pub batch_date: String,
    pub batch_time: String,
    /// As the BatchRefund's answer gave it.
    pub serial_number: String,
}

/// TrxResponse of a QueryBatchRefund: up to 10,000 lines, so up to a few megabytes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryBatchRefundResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    pub serial_number: String,
    pub batch_status: String,
    /// Every line of the batch: their number and sum.
    pub refund_count: String,
    pub refund_amount: String,
    pub success_count: String,
    pub success_amount: String,
    pub failed_count: String,
    pub failed_amount: String,
    pub mer_refund_account_no: String,
    pub mer_refund_account_name: String,
    /// The lines, under the name the client's demo reads.
    #[serde(rename = "Order")]
    pub lines: Vec<BatchRefundLineResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BatchRefundLineResult {
    /// The refunded payment's order number.
    pub original_order_no: String,
    /// The refund's own number (the line's NewOrderNo).
    pub refund_order_no: String,
    pub currency_code: String,
    /// Yuan.
    pub refund_amount_cell: String,
    /// [`LINE_PENDING`], [`LINE_SUCCEEDED`], [`LINE_FAILED`] or [`LINE_NO_RESPONSE`].
    pub order_status: String,
    pub remark: String,
    /// For a failed line: the ReturnCode a single Refund would have got, and its message.
    pub reason_code: String,
    pub reason: String,
}
