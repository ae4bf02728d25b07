//! K-code payment (网上K码支付): `KPayVerifyReq` hands the bank the bill with the consumer's
//! card number and the last four digits of their mobile number (the bank texts a verification
//! code to the number it holds for the card), `KPayReq` pays it with the code and the card
//! holder's details, `KPayResendReq` asks for a new code. The bill names no result address:
//! KPayReq's answer, or a Query, is the result.
//!
//! Requests are as ABC's own client sends them. **Assumed**, as the simulator plays them: the
//! answers' fields other than those the client's demo reads (`PaymentURL`, `VerifyDate`,
//! `VerifyTime`; `OrderAmount`, `HostDate`, `HostTime`), and the refusals' codes below.

use super::pay::OrderItem;
use serde::{Deserialize, Serialize};

/// `ReturnCode` of a KPayReq with a wrong code: the attempt is counted.
pub const RETURN_CODE_WRONG_VERIFY_CODE: &str = "2350";
/// `ReturnCode` of a KPayReq whose code is too old: ask for a new one.
pub const RETURN_CODE_VERIFY_CODE_EXPIRED: &str = "2351";
/// `ReturnCode` of a KPayReq after too many wrong codes: the order failed for good.
pub const RETURN_CODE_VERIFY_ATTEMPTS_EXHAUSTED: &str = "2352";
/// `ReturnCode` of a KPayResendReq (or a repeated bill) beyond the codes the bank texts.
pub const RETURN_CODE_RESEND_LIMIT: &str = "2353";

/// TrxRequest of a KPayVerifyReq, in the client's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayVerifyRequest {
    pub trx_type: String,
    pub card_no: String,
    /// The last four digits of the consumer's mobile number.
    pub mobile_no: String,
    pub commodity_type: String,
    /// `0`: no instalments.
    pub installment: String,
    pub payment_type: String,
    pub payment_link_type: String,
    pub receive_account: String,
    pub receive_acc_name: String,
    pub merchant_remarks: String,
    pub is_break_account: String,
    pub split_acc_template: String,
    pub order: KPayVerifyOrder,
}

/// The bill inside a KPayVerifyReq (shorter than a PayReq's order, in its own order).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayVerifyOrder {
    #[serde(rename = "PayTypeID")]
    pub pay_type_id: String,
    #[serde(rename = "orderTimeoutDate")]
    pub order_timeout_date: String,
    pub order_no: String,
    pub currency_code: String,
    pub order_amount: String,
    pub expired_date: String,
    pub order_desc: String,
    pub order_date: String,
    pub order_time: String,
    pub receiver_address: String,
    #[serde(rename = "BuyIP")]
    pub buy_ip: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub order_items: Vec<OrderItem>,
}

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
    /// A page of the bank's where the consumer may pay the bill instead.
    #[serde(rename = "PaymentURL")]
    pub payment_url: String,
    pub verify_date: String,
    pub verify_time: String,
}

/// TrxRequest of a KPayReq, in the client's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayRequest {
    pub trx_type: String,
    pub acc_name: String,
    pub certificate_type: String,
    #[serde(rename = "CertificateID")]
    pub certificate_id: String,
    /// A credit card's expiry, `MMYY`; empty for a debit card.
    pub exp_date: String,
    #[serde(rename = "CVV2")]
    pub cvv2: String,
    pub verify_code: String,
    pub payment_type: String,
    /// `1` internet, `2` mobile.
    pub pay_link_type: String,
    pub merchant_remarks: String,
    pub order: KPayOrder,
}

/// The order inside a KPayReq (with Fee) or a KPayResendReq (without).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct KPayOrder {
    pub order_no: String,
    pub currency_code: String,
    pub order_amount: String,
    /// `None` in a KPayResendReq, which has no Fee key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fee: Option<String>,
    pub order_date: String,
    pub order_time: String,
}

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
    pub order_amount: String,
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
    pub trx_type: String,
    pub order: KPayOrder,
}

super::envelope::response_head!(KPayCodeResponse, KPayResponse);
