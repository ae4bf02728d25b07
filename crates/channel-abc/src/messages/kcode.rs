//! K-code payment (网上K码支付): `KPayVerifyReq` hands the bank the bill with the consumer's
//! card and mobile numbers (the bank texts a verification code), `KPayReq` pays it with the
//! code and the card holder's details, `KPayResendReq` asks for a new code. No page redirect.
//!
//! The public material names the transactions and their main fields only. **Assumed**, as the
//! simulator plays them: KPayVerifyReq carries the same fields as a PayReq plus `CardNo` and
//! `MobileNo`; KPayReq answers like a payment result (iRspRef, VoucherNo, HostDate, HostTime);
//! the refusals below have codes of their own.

use super::pay::PayOrder;
use serde::{Deserialize, Serialize};

/// `ReturnCode` of a KPayReq with a wrong code: the attempt is counted.
pub const RETURN_CODE_WRONG_VERIFY_CODE: &str = "2350";
/// `ReturnCode` of a KPayReq whose code is too old: ask for a new one.
pub const RETURN_CODE_VERIFY_CODE_EXPIRED: &str = "2351";
/// `ReturnCode` of a KPayReq after too many wrong codes: the order failed for good.
pub const RETURN_CODE_VERIFY_ATTEMPTS_EXHAUSTED: &str = "2352";
/// `ReturnCode` of a KPayResendReq (or a repeated bill) beyond the codes the bank texts.
pub const RETURN_CODE_RESEND_LIMIT: &str = "2353";

/// TrxRequest of a KPayVerifyReq: the order as in PayReq, then the card and the mobile.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayVerifyRequest {
    /// Always `KPayVerifyReq`.
    pub trx_type: String,
    pub payment_type: String,
    pub payment_link_type: String,
    pub notify_type: String,
    #[serde(rename = "ResultNotifyURL")]
    pub result_notify_url: String,
    pub merchant_remarks: String,
    pub card_no: String,
    pub mobile_no: String,
    pub order: PayOrder,
}

/// TrxResponse of a KPayVerifyReq and of a KPayResendReq: the code is on its way.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
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
    /// The mobile the code went to, masked by the bank.
    pub mobile_no: String,
}

/// TrxRequest of a KPayReq.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayRequest {
    /// Always `KPayReq`.
    pub trx_type: String,
    pub order_no: String,
    pub verify_code: String,
    pub acc_name: String,
    /// I, P, K, D, W or U.
    pub certificate_type: String,
    #[serde(rename = "CertificateID")]
    pub certificate_id: String,
    /// `MMYY`, credit cards only.
    pub exp_date: String,
    #[serde(rename = "CVV2")]
    pub cvv2: String,
}

/// TrxResponse of a KPayReq: the payment as a result notification reports one.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    /// Yuan.
    pub amount: String,
    pub batch_no: String,
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
    pub pay_type: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
}

/// TrxRequest of a KPayResendReq.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayResendRequest {
    /// Always `KPayResendReq`.
    pub trx_type: String,
    pub order_no: String,
}

super::envelope::response_head!(KPayCodeResponse, KPayResponse);
