//! Authorized payment (授权支付): `AgentSign` (the customer signs on the platform's page),
//! its `AgentSignResult` message, `QueryAgentSign`, `AgentUnSign`, `AgentPay` (one debit) and
//! `AgentBatch` / `AgentBatchQuery` (many debits, carried out later).
//!
//! The public material names the transactions and AgentSignNo, BatchNo, AgentCount,
//! AgentAmount and Details[SeqNo, AgentSignNo, OrderNo, Amount]; every other field name and
//! the codes of `SignStatus` are **assumed** (as the simulator writes them), in the style of
//! the payment and batch refund messages.

use super::pay::OrderItem;
use super::result_xml::{self, ResultFields};
use super::{EC_MERCHANT_TYPE, MessageError};
use serde::{Deserialize, Serialize};

/// `TrxType` of the signing result message: the bank's own client branches on these
/// (`AgentSign` / `AgentUnSign` upper-cased).
pub const AGENT_SIGN: &str = "AGENTSIGN";
pub const AGENT_UNSIGN: &str = "AGENTUNSIGN";
/// `SignStatus`: the customer has not decided.
pub const SIGN_PENDING: &str = "0";
/// `SignStatus`: signed, debits may be made.
pub const SIGN_ACTIVE: &str = "1";
/// `SignStatus`: refused or failed.
pub const SIGN_FAILED: &str = "2";
/// `SignStatus`: unsigned since.
pub const SIGN_CANCELLED: &str = "3";

/// TrxRequest of an AgentSign, in the order and with the keys ABC's own client sends.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentSignRequest {
    /// Always `AgentSign`.
    pub trx_type: String,
    pub certificate_no: String,
    pub certificate_type: String,
    /// `0` page, `1` server.
    pub notify_type: String,
    #[serde(rename = "ResultNotifyURL")]
    pub result_notify_url: String,
    /// Our number for the signing (unique per merchant with order numbers).
    pub order_no: String,
    pub payment_link_type: String,
    /// The merchant's own number for the customer (may be empty).
    pub mer_custom_no: String,
    /// `1` debit card, `3` credit card, `A` either.
    pub card_type: String,
    pub request_date: String,
    pub request_time: String,
    /// `YYYY/MM/DD`: the last day debits may be made. The client's own spelling.
    pub invaid_date: String,
    /// Always [`IS_SIGN`].
    pub is_sign: String,
}

/// `IsSign` of every AgentSign.
pub const IS_SIGN: &str = "Sign";

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentSignResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    /// The page the customer signs on.
    #[serde(rename = "B2CAgentSignContractURL")]
    pub sign_url: String,
}

/// TrxRequest of a QueryAgentSign.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryAgentSignRequest {
    pub trx_type: String,
    /// The signing's OrderNo.
    pub order_no: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryAgentSignResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub agent_sign_no: String,
    /// [`SIGN_PENDING`], [`SIGN_ACTIVE`], [`SIGN_FAILED`] or [`SIGN_CANCELLED`].
    pub agent_sign_status: String,
    /// The card's last four digits.
    #[serde(rename = "Last4CardNo")]
    pub last4_card_no: String,
    /// `YYYY/MM/DD` (HH:MM:SS may follow).
    pub sign_date: String,
    pub un_sign_date: String,
    pub invaid_date: String,
    pub certificate_no: String,
    pub certificate_type: String,
    pub account_type: String,
    pub payment_link_type: String,
    pub merchant_no: String,
    /// For a failed signing: why.
    pub reason_code: String,
    pub reason: String,
}

/// TrxRequest of an AgentUnSign.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentUnSignRequest {
    pub trx_type: String,
    pub order_no: String,
    pub agent_sign_no: String,
    pub request_date: String,
    pub request_time: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentUnSignResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub agent_sign_no: String,
}

/// TrxRequest of an AgentPay. `OrderItems` stands at TrxRequest level and only when there are
/// items, as the client sends it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentPayRequest {
    pub trx_type: String,
    pub order_date: String,
    pub order_time: String,
    pub order_no: String,
    pub agent_sign_no: String,
    pub card_no: String,
    pub currency_code: String,
    /// Yuan.
    pub amount: String,
    pub receiver_address: String,
    pub fee: String,
    pub certificate_no: String,
    pub installment_mark: String,
    pub commodity_type: String,
    pub payment_link_type: String,
    #[serde(rename = "BuyIP")]
    pub buy_ip: String,
    pub expired_date: String,
    pub receive_account: String,
    pub receive_acc_name: String,
    pub merchant_remarks: String,
    pub is_break_account: String,
    pub split_acc_template: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub order_items: Vec<OrderItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentPayResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub agent_sign_no: String,
    pub amount: String,
    pub batch_no: String,
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
}

/// TrxRequest of an AgentBatch: the header nested in `AgentBatch`, the lines in `Details`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchRequest {
    pub trx_type: String,
    pub receive_account: String,
    pub receive_acc_name: String,
    pub currency_code: String,
    pub agent_batch: AgentBatchHeader,
    pub details: Vec<AgentBatchDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchHeader {
    /// At most 30 characters.
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    /// The number of lines.
    pub agent_count: String,
    /// Yuan: the sum of the lines.
    pub agent_amount: String,
}

/// One line of an AgentBatch, with the keys of the client's own demo, in its order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchDetail {
    pub seq_no: String,
    /// The line's own order number.
    pub order_no: String,
    pub agent_sign_no: String,
    pub card_no: String,
    /// Yuan.
    pub order_amount: String,
    pub receiver_address: String,
    pub fee: String,
    pub certificate_no: String,
    pub installment_mark: String,
    pub installment_code: String,
    pub installment_num: String,
    pub commodity_type: String,
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
    #[serde(rename = "BuyIP")]
    pub buy_ip: String,
    pub remark: String,
    pub is_break_account: String,
    pub split_acc_template: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub merchant_no: String,
    pub send_time: String,
    pub batch_no: String,
    pub batch_date: String,
    pub agent_count: String,
    pub agent_amount: String,
}

/// TrxRequest of an AgentBatchQuery: the batch is named by its number and date.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchQueryRequest {
    pub trx_type: String,
    pub batch_no: String,
    pub batch_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchQueryResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub batch_no: String,
    pub batch_status: String,
    #[serde(rename = "BatchStatusZH")]
    pub batch_status_zh: String,
    pub currency_code: String,
    pub agent_count: String,
    pub agent_amount: String,
    pub agent_batch_detail: Vec<AgentBatchLineResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchLineResult {
    pub seq_no: String,
    pub order_no: String,
    pub order_amount: String,
    pub agent_sign_no: String,
    /// `X` not done, `0` success, `1` fail, `2` no response (as in QueryBatchRefund).
    pub order_status: String,
    #[serde(rename = "OrderStatusZH")]
    pub order_status_zh: String,
    pub reason_code: String,
    pub reason: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    pub host_date: String,
    pub host_time: String,
}

/// The signing result as the platform sends it (every value wire text): flat XML in the
/// envelope of a payment result. TrxType [`AGENT_SIGN`] reports a signing (ReturnCode `0000`)
/// or its refusal; [`AGENT_UNSIGN`] an unsigning made at the bank.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentSignResultNotification {
    pub return_code: String,
    pub error_message: String,
    pub merchant_id: String,
    /// [`AGENT_SIGN`] or [`AGENT_UNSIGN`].
    pub trx_type: String,
    pub order_no: String,
    pub agent_sign_no: String,
    /// The card's last four digits.
    pub last4_card_no: String,
    pub host_date: String,
    pub host_time: String,
    /// `0` page, `1` server.
    pub notify_type: String,
}

impl AgentSignResultNotification {
    /// M, values as they are (the platform does not escape them).
    pub fn to_xml(&self) -> String {
        let fields: [(&str, &str); 11] = [
            ("ReturnCode", &self.return_code),
            ("ErrorMessage", &self.error_message),
            ("ECMerchantType", EC_MERCHANT_TYPE),
            ("MerchantID", &self.merchant_id),
            ("TrxType", &self.trx_type),
            ("OrderNo", &self.order_no),
            ("AgentSignNo", &self.agent_sign_no),
            ("Last4CardNo", &self.last4_card_no),
            ("HostDate", &self.host_date),
            ("HostTime", &self.host_time),
            ("NotifyType", &self.notify_type),
        ];
        result_xml::write(&fields)
    }

    /// Reads a VERIFIED M. MerchantID, TrxType (which must be AGENTSIGN or AGENTUNSIGN),
    /// OrderNo and ReturnCode are required.
    pub fn from_xml(xml: &str) -> Result<AgentSignResultNotification, MessageError> {
        let fields = ResultFields::of(xml);
        let trx_type = fields.required("TrxType")?;
        if trx_type != AGENT_SIGN && trx_type != AGENT_UNSIGN {
            return Err(MessageError::bad(
                "TrxType",
                format!("not {AGENT_SIGN} or {AGENT_UNSIGN}"),
            ));
        }
        let optional = |tag: &str| fields.optional(tag).trim().to_string();
        let required = |tag: &'static str| fields.required(tag);
        Ok(AgentSignResultNotification {
            return_code: required("ReturnCode")?,
            error_message: optional("ErrorMessage"),
            merchant_id: required("MerchantID")?,
            trx_type,
            order_no: required("OrderNo")?,
            agent_sign_no: optional("AgentSignNo"),
            last4_card_no: optional("Last4CardNo"),
            host_date: optional("HostDate"),
            host_time: optional("HostTime"),
            notify_type: optional("NotifyType"),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Proves the signing result reads back what was written, unescaped, and that a payment
    /// result is not taken for one.
    #[test]
    fn sign_result_round_trip() {
        let message = AgentSignResultNotification {
            return_code: "0000".into(),
            error_message: "成功<&>".into(),
            merchant_id: "M1".into(),
            trx_type: AGENT_SIGN.into(),
            order_no: "s1".into(),
            agent_sign_no: "AS1".into(),
            last4_card_no: "1234".into(),
            host_date: "2026/11/30".into(),
            host_time: "10:00:00".into(),
            notify_type: "1".into(),
        };
        let xml = message.to_xml();
        assert!(xml.contains("<ErrorMessage>成功<&></ErrorMessage>"));
        assert!(xml.contains("<TrxType>AGENTSIGN</TrxType><OrderNo>s1</OrderNo>"));
        assert_eq!(
            AgentSignResultNotification::from_xml(&xml).unwrap(),
            message
        );
        let unsign = xml.replace("AGENTSIGN", "AGENTUNSIGN");
        assert_eq!(
            AgentSignResultNotification::from_xml(&unsign)
                .unwrap()
                .trx_type,
            AGENT_UNSIGN
        );
        for other in ["PayResult", "AgentSignResult"] {
            let other = xml.replace("AGENTSIGN", other);
            assert!(AgentSignResultNotification::from_xml(&other).is_err());
        }
    }
}
