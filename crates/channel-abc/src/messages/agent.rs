//! Authorized payment (授权支付): `AgentSign` (the customer signs on the platform's page),
//! its `AgentSignResult` message, `QueryAgentSign`, `AgentUnSign`, `AgentPay` (one debit) and
//! `AgentBatch` / `AgentBatchQuery` (many debits, carried out later).
//!
//! The public material names the transactions and AgentSignNo, BatchNo, AgentCount,
//! AgentAmount and Details[SeqNo, AgentSignNo, OrderNo, Amount]; every other field name and
//! the codes of `SignStatus` are **assumed** (as the simulator writes them), in the style of
//! the payment and batch refund messages.

use super::result_xml::{self, ResultFields};
use super::{EC_MERCHANT_TYPE, MessageError};
use serde::{Deserialize, Serialize};

/// `TrxType` of the signing result message.
pub const AGENT_SIGN_RESULT: &str = "AgentSignResult";
/// `SignStatus`: the customer has not decided.
pub const SIGN_PENDING: &str = "0";
/// `SignStatus`: signed, debits may be made.
pub const SIGN_ACTIVE: &str = "1";
/// `SignStatus`: refused or failed.
pub const SIGN_FAILED: &str = "2";
/// `SignStatus`: unsigned since.
pub const SIGN_CANCELLED: &str = "3";

/// TrxRequest of an AgentSign.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentSignRequest {
    /// Always `AgentSign`.
    pub trx_type: String,
    /// Our number for the signing (unique per merchant with order numbers).
    pub order_no: String,
    pub request_date: String,
    pub request_time: String,
    /// `1` debit card, `3` credit card.
    pub card_type: String,
    pub certificate_type: String,
    pub certificate_no: String,
    /// `YYYY/MM/DD`: the last day debits may be made.
    pub expired_date: String,
    /// Yuan; `""` for no limit.
    pub single_limit_amount: String,
    /// `0` page, `1` server.
    pub notify_type: String,
    #[serde(rename = "ResultNotifyURL")]
    pub result_notify_url: String,
    pub merchant_remarks: String,
}

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
    #[serde(rename = "SignURL")]
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
    pub sign_status: String,
    /// The card, masked by the platform.
    pub card_no: String,
    pub host_date: String,
    pub host_time: String,
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

/// TrxRequest of an AgentPay.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentPayRequest {
    pub trx_type: String,
    pub order_no: String,
    pub agent_sign_no: String,
    pub order_date: String,
    pub order_time: String,
    pub currency_code: String,
    /// Yuan.
    pub order_amount: String,
    pub order_desc: String,
    pub merchant_remarks: String,
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
    pub order_amount: String,
    pub batch_no: String,
    pub voucher_no: String,
    pub host_date: String,
    pub host_time: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
}

/// TrxRequest of an AgentBatch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchRequest {
    pub trx_type: String,
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    /// The number of lines.
    pub agent_count: String,
    /// Yuan: the sum of the lines.
    pub agent_amount: String,
    pub details: Vec<AgentBatchDetail>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchDetail {
    pub seq_no: String,
    pub agent_sign_no: String,
    /// The line's own order number.
    pub order_no: String,
    /// Yuan.
    pub amount: String,
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
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    pub agent_count: String,
    pub agent_amount: String,
    pub serial_number: String,
    pub host_date: String,
    pub host_time: String,
}

/// TrxRequest of an AgentBatchQuery.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchQueryRequest {
    pub trx_type: String,
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    pub serial_number: String,
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
    pub serial_number: String,
    pub agent_count: String,
    pub agent_amount: String,
    pub success_count: String,
    pub success_amount: String,
    pub failed_count: String,
    pub failed_amount: String,
    pub details: Vec<AgentBatchLineResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AgentBatchLineResult {
    pub seq_no: String,
    pub agent_sign_no: String,
    pub order_no: String,
    pub amount: String,
    /// `X` not done, `0` success, `1` fail, `2` no response (as in QueryBatchRefund).
    pub status: String,
    pub reason_code: String,
    pub reason: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    pub host_date: String,
    pub host_time: String,
}

/// The signing result as the platform sends it (every value wire text): flat XML in the
/// envelope of a payment result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentSignResultNotification {
    pub return_code: String,
    pub error_message: String,
    pub merchant_id: String,
    pub order_no: String,
    pub agent_sign_no: String,
    /// Masked by the platform.
    pub card_no: String,
    pub host_date: String,
    pub host_time: String,
    /// `0` page, `1` server.
    pub notify_type: String,
}

impl AgentSignResultNotification {
    /// M; every value XML-escaped.
    pub fn to_xml(&self) -> String {
        let fields: [(&str, &str); 11] = [
            ("ReturnCode", &self.return_code),
            ("ErrorMessage", &self.error_message),
            ("ECMerchantType", EC_MERCHANT_TYPE),
            ("MerchantID", &self.merchant_id),
            ("TrxType", AGENT_SIGN_RESULT),
            ("OrderNo", &self.order_no),
            ("AgentSignNo", &self.agent_sign_no),
            ("CardNo", &self.card_no),
            ("HostDate", &self.host_date),
            ("HostTime", &self.host_time),
            ("NotifyType", &self.notify_type),
        ];
        result_xml::write(&fields)
    }

    /// Reads a VERIFIED M. MerchantID, TrxType (which must be AgentSignResult), OrderNo and
    /// ReturnCode are required.
    pub fn from_xml(xml: &str) -> Result<AgentSignResultNotification, MessageError> {
        let fields = ResultFields::of(xml);
        fields.expect_trx_type(AGENT_SIGN_RESULT)?;
        let optional = |tag: &str| fields.optional(tag).trim().to_string();
        let required = |tag: &'static str| fields.required(tag);
        Ok(AgentSignResultNotification {
            return_code: required("ReturnCode")?,
            error_message: optional("ErrorMessage"),
            merchant_id: required("MerchantID")?,
            order_no: required("OrderNo")?,
            agent_sign_no: optional("AgentSignNo"),
            card_no: optional("CardNo"),
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
    use crate::messages::RequestMessage;

    /// Proves the fixed bytes of an AgentPay request and an AgentBatch line (field order is
    /// wire order).
    #[test]
    fn request_bytes() {
        let pay = AgentPayRequest {
            trx_type: "AgentPay".into(),
            order_no: "o1".into(),
            agent_sign_no: "AS1".into(),
            order_date: "2026/11/30".into(),
            order_time: "10:00:00".into(),
            currency_code: "156".into(),
            order_amount: "12.34".into(),
            order_desc: "fee".into(),
            merchant_remarks: String::new(),
        };
        assert_eq!(
            RequestMessage::new("M1", pay).to_json().unwrap(),
            r#"{"Version":"V3.0.0","Format":"JSON","Merchant":{"ECMerchantType":"EBUS","MerchantID":"M1"},"TrxRequest":{"TrxType":"AgentPay","OrderNo":"o1","AgentSignNo":"AS1","OrderDate":"2026/11/30","OrderTime":"10:00:00","CurrencyCode":"156","OrderAmount":"12.34","OrderDesc":"fee","MerchantRemarks":""}}"#
        );
        let batch = AgentBatchRequest {
            trx_type: "AgentBatch".into(),
            batch_no: "b1".into(),
            batch_date: "2026/11/30".into(),
            batch_time: "10:00:00".into(),
            agent_count: "1".into(),
            agent_amount: "1.00".into(),
            details: vec![AgentBatchDetail {
                seq_no: "1".into(),
                agent_sign_no: "AS1".into(),
                order_no: "o2".into(),
                amount: "1.00".into(),
            }],
        };
        let json = serde_json::to_string(&batch).unwrap();
        assert!(json.ends_with(
            r#""AgentCount":"1","AgentAmount":"1.00","Details":[{"SeqNo":"1","AgentSignNo":"AS1","OrderNo":"o2","Amount":"1.00"}]}"#
        ), "{json}");
    }

    /// Proves the signing result reads back what was written, escaped, and that a payment
    /// result is not taken for one.
    #[test]
    fn sign_result_round_trip() {
        let message = AgentSignResultNotification {
            return_code: "0000".into(),
            error_message: "成功<&>".into(),
            merchant_id: "M1".into(),
            order_no: "s1".into(),
            agent_sign_no: "AS1".into(),
            card_no: "622848******1234".into(),
            host_date: "2026/11/30".into(),
            host_time: "10:00:00".into(),
            notify_type: "1".into(),
        };
        let xml = message.to_xml();
        assert!(xml.contains("<TrxType>AgentSignResult</TrxType><OrderNo>s1</OrderNo>"));
        assert_eq!(
            AgentSignResultNotification::from_xml(&xml).unwrap(),
            message
        );
        let other = xml.replace("AgentSignResult", "PayResult");
        assert!(AgentSignResultNotification::from_xml(&other).is_err());
    }
}
