//! K-code payment: `KPayVerifyReq` (the bill), `KPayReq` (pay with the texted code),
//! `KPayResendReq` (a new code). The bill's order fields are those of a PayReq and are read as
//! a PayReq's are; only its own fields are typed here.

use serde::{Deserialize, Serialize};

/// TrxRequest of a KPayReq.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayRequest {
    pub trx_type: String,
    pub order_no: String,
    pub verify_code: String,
    pub acc_name: String,
    pub certificate_type: String,
    #[serde(rename = "CertificateID")]
    pub certificate_id: String,
    pub exp_date: String,
    #[serde(rename = "CVV2")]
    pub cvv2: String,
}

/// TrxRequest of a KPayResendReq.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayResendRequest {
    pub trx_type: String,
    pub order_no: String,
}

/// TrxResponse of a bill or a resend: the code is on its way to the (masked) mobile.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KPayCodeResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub order_amount: String,
    pub mobile_no: String,
}

/// TrxResponse of a successful KPayReq: the payment as the bank booked it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KPayResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub amount: String,
    pub batch_no: String,
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
    pub pay_type: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
}
