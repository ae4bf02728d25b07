//! `Refund`: a single refund of a paid order, answered at once; and a refund read back by
//! `Query` under its own number.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RefundRequest {
    /// Always `Refund`.
    pub trx_type: String,
    /// Date and time of the refund request, `YYYY/MM/DD` and `HH:MM:SS`.
    pub order_date: String,
    pub order_time: String,
    pub mer_refund_account_no: String,
    pub mer_refund_account_name: String,
    /// The original payment's order number.
    pub order_no: String,
    /// The refund's own number.
    pub new_order_no: String,
    pub currency_code: String,
    /// Yuan, two decimals.
    pub trx_amount: String,
    pub refund_type: String,
    pub merchant_remarks: String,
}

/// TrxResponse of a Refund.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RefundResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
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
/// (**assumed**, as the simulator answers: the public material names no refund query). The
/// fields of a payment's detail, then `OriginalOrderNo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RefundQueryOrder {
    /// [`super::PAY_TYPE_REFUND`].
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
    /// The refunded order.
    pub original_order_no: String,
}
