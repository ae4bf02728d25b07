//! `PayReq`: the payment request, and its answer carrying `PaymentURL`.

use serde::{Deserialize, Serialize};

/// TrxRequest of a PayReq, in the real client's key order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PayRequest {
    /// Always `PayReq`.
    pub trx_type: String,
    /// 1 ABC debit card, 3 credit card, 6 UnionPay cross-bank, 7 corporate, A all.
    pub payment_type: String,
    /// 1 internet, 2 mobile.
    pub payment_link_type: String,
    pub receive_account: String,
    pub receive_acc_name: String,
    /// 0 page, 1 server.
    pub notify_type: String,
    #[serde(rename = "ResultNotifyURL")]
    pub result_notify_url: String,
    pub merchant_remarks: String,
    pub is_break_account: String,
    pub split_acc_template: String,
    pub order: PayOrder,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PayOrder {
    #[serde(rename = "PayTypeID")]
    pub pay_type_id: String,
    /// `YYYY/MM/DD`.
    pub order_date: String,
    /// `HH:MM:SS`.
    pub order_time: String,
    /// `yyyyMMddHHmmss`: after it the platform no longer takes the payment (the lower-case `o`
    /// is the real spelling).
    #[serde(rename = "orderTimeoutDate")]
    pub order_timeout_date: String,
    pub order_no: String,
    pub currency_code: String,
    /// Yuan, two decimals.
    pub order_amount: String,
    pub fee: String,
    pub account_no: String,
    pub order_desc: String,
    #[serde(rename = "OrderURL")]
    pub order_url: String,
    pub receiver_address: String,
    pub installment_mark: String,
    pub commodity_type: String,
    #[serde(rename = "BuyIP")]
    pub buy_ip: String,
    /// Days the platform keeps the order.
    pub expired_date: String,
    pub order_items: Vec<OrderItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct OrderItem {
    pub sub_mer_name: String,
    pub sub_mer_id: String,
    #[serde(rename = "SubMerMCC")]
    pub sub_mer_mcc: String,
    pub sub_merchant_remarks: String,
    #[serde(rename = "ProductID")]
    pub product_id: String,
    pub product_name: String,
    pub unit_price: String,
    pub qty: String,
    pub product_remarks: String,
    pub product_type: String,
    pub product_discount: String,
    pub product_expired_date: String,
}

/// TrxResponse of a PayReq.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PayResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub order_amount: String,
    #[serde(rename = "OneQRForAll")]
    pub one_qr_for_all: String,
    #[serde(rename = "PaymentURL")]
    pub payment_url: String,
}
