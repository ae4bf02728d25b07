//! `PreAuthCancelConfirm` (预授权确认/取消): captures (Confirm) or releases (Cancel) a
//! pre-authorization that a `PayReq` with PayTypeID `PreAuthPay` obtained.

use serde::{Deserialize, Serialize};

/// `OperateType` of a capture.
pub const OPERATE_CONFIRM: &str = "Confirm";
/// `OperateType` of a release.
pub const OPERATE_CANCEL: &str = "Cancel";

/// TrxRequest, in the order of ABC's public demo.
/// TrxRequest of a PreAuthCancelConfirm: everything but TrxType inside `Order`, as the
/// client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreAuthRequest {
    pub trx_type: String,
    pub order: PreAuthOrder,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreAuthOrder {
    /// [`OPERATE_CONFIRM`] or [`OPERATE_CANCEL`].
    pub operate_type: String,
    pub order_date: String,
    pub order_time: String,
    /// This operation's own number.
    pub order_no: String,
    /// The pre-authorized payment's order number.
    pub original_order_no: String,
    pub currency_code: String,
    /// Yuan, above zero also for a Cancel (the amount held), as the client requires.
    pub order_amount: String,
    pub fee: String,
    pub merchant_remarks: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PreAuthResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub operate_type: String,
    pub order_no: String,
    pub original_order_no: String,
    /// Captured (Confirm) or released (Cancel).
    pub order_amount: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    pub batch_no: String,
    #[serde(rename = "VouchNo")]
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
}
