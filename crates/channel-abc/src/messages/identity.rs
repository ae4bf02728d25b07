//! Identity verification (身份验证): `IdentityVerifyReq` (the customer confirms on the
//! platform's page; the result comes back as an `IdentityVerifyResult` MSG) and
//! `StaticIdentifyVerifyReq` (the answer is the verdict).
//!
//! Neither request carries an order number, as ABC's own client sends them. **Assumed**: the
//! result of an `IdentityVerifyReq` is posted to exactly the ResultNotifyURL the request gave,
//! so the platform names its verification in that address; a match is ReturnCode `0000`, a
//! mismatch [`RETURN_CODE_IDENTITY_MISMATCH`] with the platform's reason in ErrorMessage; any
//! other code is no verdict. These messages carry personal data: never log them unmasked.

use super::result_xml::{self, ResultFields};
use super::{EC_MERCHANT_TYPE, MessageError};
use serde::{Deserialize, Serialize};

pub const IDENTITY_VERIFY_REQ: &str = "IdentityVerifyReq";
pub const STATIC_IDENTIFY_VERIFY_REQ: &str = "StaticIdentifyVerifyReq";
/// TrxType of the result message of an `IdentityVerifyReq`.
pub const IDENTITY_VERIFY_RESULT: &str = "IdentityVerifyResult";
/// ReturnCode: the details do not belong together (身份信息不符).
pub const RETURN_CODE_IDENTITY_MISMATCH: &str = "2401";

/// TrxRequest of an IdentityVerifyReq, in the client's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IdentityVerifyRequest {
    pub trx_type: String,
    /// `0` a person, `1` a company.
    pub custom_type: String,
    pub bank_card_no: String,
    pub certificate_no: String,
    pub certificate_type: String,
    #[serde(rename = "ResultNotifyURL")]
    pub result_notify_url: String,
    pub order_date: String,
    pub order_time: String,
    pub payment_link_type: String,
}

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
    /// The page the customer confirms on.
    #[serde(rename = "VerifyURL")]
    pub verify_url: String,
}

/// TrxRequest of a StaticIdentifyVerifyReq, in the client's order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct StaticIdentifyVerifyRequest {
    pub trx_type: String,
    pub custom_type: String,
    pub client_name: String,
    pub acc_no: String,
    pub certificate_no: String,
    pub certificate_type: String,
    /// Exactly 11 digits.
    pub mobile_no: String,
    /// The merchant's own number for the customer (may be empty).
    pub custom_no: String,
}

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
}

/// The result of an IdentityVerifyReq as the platform sends it (every value wire text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdentityResultNotification {
    pub return_code: String,
    pub error_message: String,
    pub merchant_id: String,
    pub bank_card_no: String,
    pub certificate_no: String,
    /// The card holder's name as the bank holds it.
    pub account_name: String,
    pub host_date: String,
    pub host_time: String,
}

impl IdentityResultNotification {
    /// M, values as they are.
    pub fn to_xml(&self) -> String {
        let fields: [(&str, &str); 10] = [
            ("ReturnCode", &self.return_code),
            ("ErrorMessage", &self.error_message),
            ("ECMerchantType", EC_MERCHANT_TYPE),
            ("MerchantID", &self.merchant_id),
            ("TrxType", IDENTITY_VERIFY_RESULT),
            ("BankCardNo", &self.bank_card_no),
            ("CertificateNo", &self.certificate_no),
            ("AccountName", &self.account_name),
            ("HostDate", &self.host_date),
            ("HostTime", &self.host_time),
        ];
        result_xml::write(&fields)
    }

    /// Reads a VERIFIED M. MerchantID, TrxType (which must be IdentityVerifyResult) and
    /// ReturnCode are required.
    pub fn from_xml(xml: &str) -> Result<IdentityResultNotification, MessageError> {
        let fields = ResultFields::of(xml);
        fields.expect_trx_type(IDENTITY_VERIFY_RESULT)?;
        let optional = |tag: &str| fields.optional(tag).trim().to_string();
        let required = |tag: &'static str| fields.required(tag);
        Ok(IdentityResultNotification {
            return_code: required("ReturnCode")?,
            error_message: optional("ErrorMessage"),
            merchant_id: required("MerchantID")?,
            bank_card_no: optional("BankCardNo"),
            certificate_no: optional("CertificateNo"),
            account_name: optional("AccountName"),
            host_date: optional("HostDate"),
            host_time: optional("HostTime"),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn result_round_trip() {
        let result = IdentityResultNotification {
            return_code: RETURN_CODE_IDENTITY_MISMATCH.into(),
            error_message: "身份信息不符".into(),
            merchant_id: "M1".into(),
            bank_card_no: "6228480012345678".into(),
            certificate_no: "110101199003071234".into(),
            account_name: "张喆".into(),
            host_date: "2026/11/30".into(),
            host_time: "10:00:00".into(),
        };
        let xml = result.to_xml();
        assert_eq!(IdentityResultNotification::from_xml(&xml).unwrap(), result);
        let other = xml.replace(IDENTITY_VERIFY_RESULT, "PayResult");
        assert!(IdentityResultNotification::from_xml(&other).is_err());
    }
}
