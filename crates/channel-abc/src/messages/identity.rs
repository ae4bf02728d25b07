//! Identity verification (身份验证): `IdentityVerifyReq` (the customer confirms on the
//! platform's page; the result comes back as an `IdentityVerifyResult` MSG) and
//! `StaticIdentifyVerifyReq` (the answer is the verdict).
//!
//! **Assumed** (the public material names the fields, not their order, nor how a verdict is
//! written): both requests carry an `OrderNo`, our number for the verification, which the
//! answer and the result message echo; a match is ReturnCode `0000`, a mismatch
//! [`RETURN_CODE_IDENTITY_MISMATCH`] with the platform's reason in ErrorMessage; any other code
//! is no verdict. These messages carry personal data: never log them unmasked.

use super::result_xml::{self, ResultFields};
use super::{EC_MERCHANT_TYPE, MessageError};
use serde::{Deserialize, Serialize};

pub const IDENTITY_VERIFY_REQ: &str = "IdentityVerifyReq";
pub const STATIC_IDENTIFY_VERIFY_REQ: &str = "StaticIdentifyVerifyReq";
/// TrxType of the result message of an `IdentityVerifyReq`.
pub const IDENTITY_VERIFY_RESULT: &str = "IdentityVerifyResult";
/// ReturnCode: the details do not belong together (身份信息不符).
pub const RETURN_CODE_IDENTITY_MISMATCH: &str = "2401";

/// TrxRequest of `IdentityVerifyReq`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IdentityVerifyRequest {
    pub trx_type: String,
    pub order_no: String,
    /// `0` person, `1` company.
    pub custom_type: String,
    pub bank_card_no: String,
    pub certificate_type: String,
    pub certificate_no: String,
    #[serde(rename = "ResultNotifyURL")]
    pub result_notify_url: String,
}

/// TrxResponse of `IdentityVerifyReq`: where to send the customer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IdentityVerifyResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    #[serde(rename = "VerifyURL")]
    pub verify_url: String,
}

/// TrxRequest of `StaticIdentifyVerifyReq`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StaticIdentifyVerifyRequest {
    pub trx_type: String,
    pub order_no: String,
    pub acc_no: String,
    pub certificate_type: String,
    pub certificate_no: String,
    pub client_name: String,
    pub mobile_no: String,
}

/// TrxResponse of `StaticIdentifyVerifyReq`: the verdict is its ReturnCode.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StaticIdentifyVerifyResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
}

/// The result of an `IdentityVerifyReq` as the platform sends it: flat XML in the envelope of
/// a payment result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityResultNotification {
    pub return_code: String,
    pub error_message: String,
    pub merchant_id: String,
    pub order_no: String,
    pub bank_card_no: String,
    pub certificate_no: String,
    pub host_date: String,
    pub host_time: String,
    /// `0` page, `1` server.
    pub notify_type: String,
}

impl IdentityResultNotification {
    /// M; every value XML-escaped.
    pub fn to_xml(&self) -> String {
        let fields: [(&str, &str); 11] = [
            ("ReturnCode", &self.return_code),
            ("ErrorMessage", &self.error_message),
            ("ECMerchantType", EC_MERCHANT_TYPE),
            ("MerchantID", &self.merchant_id),
            ("TrxType", IDENTITY_VERIFY_RESULT),
            ("OrderNo", &self.order_no),
            ("BankCardNo", &self.bank_card_no),
            ("CertificateNo", &self.certificate_no),
            ("HostDate", &self.host_date),
            ("HostTime", &self.host_time),
            ("NotifyType", &self.notify_type),
        ];
        result_xml::write(&fields)
    }

    /// Reads a VERIFIED M. MerchantID, TrxType (which must be IdentityVerifyResult), OrderNo
    /// and ReturnCode are required.
    pub fn from_xml(xml: &str) -> Result<IdentityResultNotification, MessageError> {
        let fields = ResultFields::of(xml);
        fields.expect_trx_type(IDENTITY_VERIFY_RESULT)?;
        let optional = |tag: &str| fields.optional(tag).trim().to_string();
        let required = |tag: &'static str| fields.required(tag);
        Ok(IdentityResultNotification {
            return_code: required("ReturnCode")?,
            error_message: optional("ErrorMessage"),
            merchant_id: required("MerchantID")?,
            order_no: required("OrderNo")?,
            bank_card_no: optional("BankCardNo"),
            certificate_no: optional("CertificateNo"),
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

    /// Proves the fixed bytes of a StaticIdentifyVerifyReq (field order is wire order).
    #[test]
    fn request_bytes() {
        let request = StaticIdentifyVerifyRequest {
            trx_type: STATIC_IDENTIFY_VERIFY_REQ.into(),
            order_no: "V1".into(),
            acc_no: "6228480012345678".into(),
            certificate_type: "I".into(),
            certificate_no: "110101199003071234".into(),
            client_name: "张三".into(),
            mobile_no: "13800138000".into(),
        };
        assert_eq!(
            RequestMessage::new("M1", request).to_json().unwrap(),
            r#"{"Version":"V3.0.0","Format":"JSON","Merchant":{"ECMerchantType":"EBUS","MerchantID":"M1"},"TrxRequest":{"TrxType":"StaticIdentifyVerifyReq","OrderNo":"V1","AccNo":"6228480012345678","CertificateType":"I","CertificateNo":"110101199003071234","ClientName":"张三","MobileNo":"13800138000"}}"#
        );
    }

    /// Proves the result message reads back what it was written with, and refuses another
    /// TrxType.
    #[test]
    fn result_round_trip() {
        let result = IdentityResultNotification {
            return_code: RETURN_CODE_IDENTITY_MISMATCH.into(),
            error_message: "身份信息不符".into(),
            merchant_id: "M1".into(),
            order_no: "V1".into(),
            bank_card_no: "6228480012345678".into(),
            certificate_no: "110101199003071234".into(),
            host_date: "2026/11/30".into(),
            host_time: "10:00:00".into(),
            notify_type: "1".into(),
        };
        let xml = result.to_xml();
        assert_eq!(IdentityResultNotification::from_xml(&xml).unwrap(), result);
        let other = xml.replace(IDENTITY_VERIFY_RESULT, "PayResult");
        assert!(IdentityResultNotification::from_xml(&other).is_err());
    }
}
