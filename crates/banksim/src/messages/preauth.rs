//! `PreAuthCancelConfirm` (预授权确认/取消).

use serde::{Deserialize, Serialize};

/// TrxRequest, in the order of ABC's public demo.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreAuthRequest {
    /// `PreAuthCancelConfirm`.
    pub trx_type: String,
    /// `Confirm` or `Cancel`.
    pub operate_type: String,
    /// Optional, `YYYY/MM/DD` and `HH:MM:SS`.
    pub order_date: String,
    pub order_time: String,
    /// The operation's own number (new).
    pub order_no: String,
    /// The authorized order.
    pub original_order_no: String,
    /// `156`, or empty.
    pub currency_code: String,
    /// Yuan: Confirm captures this much (> 0, at most the authorized amount); a Cancel may
    /// leave it empty and always releases the whole authorization.
    pub order_amount: String,
    /// Optional, yuan; recorded, not charged.
    pub fee: String,
    pub merchant_remarks: String,
}

/// TrxResponse of a successful PreAuthCancelConfirm.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreAuthResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    /// `PreAuthCancelConfirm`.
    pub trx_type: String,
    pub operate_type: String,
    pub order_no: String,
    pub original_order_no: String,
    /// Captured (Confirm) or released (Cancel).
    pub order_amount: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    pub batch_no: String,
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
}
