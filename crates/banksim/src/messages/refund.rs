//! `Refund` (单笔退款), and a refund read back by Query.

use serde::{Deserialize, Serialize};

/// TrxRequest of a Refund, in the order ABC's client writes it (the captured vector).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RefundRequest {
    /// `Refund`.
    pub trx_type: String,
    /// When the merchant asked, `YYYY/MM/DD` and `HH:MM:SS`.
    pub order_date: String,
    pub order_time: String,
    pub mer_refund_account_no: String,
    pub mer_refund_account_name: String,
    /// The refunded order.
    pub order_no: String,
    /// The refund's own number, unique per merchant.
    pub new_order_no: String,
    /// `156`, or empty.
    pub currency_code: String,
    /// Yuan, `12.34`.
    pub trx_amount: String,
    /// Sent by ABC's client; the simulator ignores it.
    pub refund_type: String,
    pub merchant_remarks: String,
}

/// TrxResponse of a successful Refund (the captured vector's fields and order).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RefundResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    /// `Refund`.
    pub trx_type: String,
    pub order_no: String,
    pub new_order_no: String,
    pub trx_amount: String,
    pub batch_no: String,
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
}

/// The `Order` detail of a Query that names a refund's NewOrderNo: the refund read as an order
/// (**assumed**; see [`crate::refunds`]). The fields of a payment's detail, in its order, then
/// `OriginalOrderNo`; a reader of payment details ignores the extra field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RefundQueryOrder {
    /// `Refund`.
    #[serde(rename = "PayTypeID")]
    pub pay_type_id: String,
    /// The refund's NewOrderNo.
    pub order_no: String,
    pub order_date: String,
    pub order_time: String,
    /// The refund's amount.
    pub order_amount: String,
    /// `04` done, `99` failed, `02` not yet reported.
    pub status: String,
    /// Empty for a failed refund.
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_time: Option<String>,
    pub original_order_no: String,
}
