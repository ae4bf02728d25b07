//! `BatchRefund` (批量退款) and `QueryBatchRefund` (批量退款结果查询).
//!
//! The requests, as ABC's client writes them. The query's answer is written field by field in
//! [`crate::refunds::batch_query`] (its names: the SDK's and [`crate::wire::names`]).

use serde::{Deserialize, Serialize};

/// TrxRequest of a BatchRefund.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BatchRefundRequest {
    /// `BatchRefund`.
    pub trx_type: String,
    /// The merchant's number for the batch, unique per merchant and BatchDate.
    pub batch_no: String,
    /// `YYYY/MM/DD` and `HH:MM:SS`.
    pub batch_date: String,
    pub batch_time: String,
    pub mer_refund_account_no: String,
    pub mer_refund_account_name: String,
    /// Lines, 1 to 10,000; must equal the number of OrderData lines.
    pub total_count: String,
    /// Yuan; must equal the sum of the lines' RefundAmount.
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
    /// `156`.
    pub currency_code: String,
    /// Yuan.
    pub refund_amount: String,
    /// Optional, at most 100 characters; not echoed.
    pub remark: String,
}

/// TrxResponse of an accepted BatchRefund. The lines are processed afterwards; the merchant
/// polls QueryBatchRefund with SerialNumber, BatchDate and BatchTime.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BatchRefundResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    /// `BatchRefund`.
    pub trx_type: String,
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    pub total_count: String,
    pub total_amount: String,
    /// The bank's number for the batch.
    pub serial_number: String,
    pub host_date: String,
    pub host_time: String,
}

/// TrxRequest of a QueryBatchRefund.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryBatchRefundRequest {
    /// `QueryBatchRefund`.
    pub trx_type: String,
    /// As in the BatchRefund.
    pub batch_date: String,
    pub batch_time: String,
    /// As the BatchRefund's answer gave it.
    pub serial_number: String,
    /// Optional; when given it must be the batch's.
    pub batch_no: String,
}
