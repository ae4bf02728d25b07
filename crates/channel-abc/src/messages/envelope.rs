//! The JSON wrapper shared by every request and answer: Version, Format, Merchant, then the
//! transaction object.

use super::{EC_MERCHANT_TYPE, MessageError, VERSION};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Merchant {
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
}

impl Merchant {
    pub fn new(merchant_id: &str) -> Merchant {
        Merchant {
            ec_merchant_type: EC_MERCHANT_TYPE.to_string(),
            merchant_id: merchant_id.to_string(),
        }
    }
}

/// M of a request: `{"Version":"V3.0.0","Format":"JSON","Merchant":{…},"TrxRequest":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestMessage<T> {
    #[serde(rename = "Version", default)]
    pub version: String,
    #[serde(rename = "Format", default)]
    pub format: String,
    #[serde(rename = "Merchant", default)]
    pub merchant: Merchant,
    #[serde(rename = "TrxRequest")]
    pub trx_request: T,
}

impl<T: Serialize> RequestMessage<T> {
    pub fn new(merchant_id: &str, trx_request: T) -> RequestMessage<T> {
        RequestMessage {
            version: VERSION.to_string(),
            format: "JSON".to_string(),
            merchant: Merchant::new(merchant_id),
            trx_request,
        }
    }

    /// Compact JSON: M, ready for `wire::build_request`.
    pub fn to_json(&self) -> Result<String, MessageError> {
        serde_json::to_string(self).map_err(|e| MessageError::Unreadable(e.to_string()))
    }
}

impl<T: DeserializeOwned> RequestMessage<T> {
    /// Reads a VERIFIED request M (leniently, as the platform does).
    pub fn read(message: &[u8]) -> Result<RequestMessage<T>, MessageError> {
        read_value(message)
    }
}

/// MerchantID and TrxType of a verified request M, to route it before reading it fully.
pub fn read_request_header(message: &[u8]) -> Result<(String, String), MessageError> {
    let request: RequestMessage<serde_json::Value> = read_value(message)?;
    let trx_type = request
        .trx_request
        .get("TrxType")
        .and_then(|v| v.as_str())
        .ok_or_else(|| MessageError::bad("TrxType", "missing"))?
        .to_string();
    Ok((request.merchant.merchant_id, trx_type))
}

/// M of an answer: `{"Version":"V3.0.0","Format":"JSON","Merchant":{…},"TrxResponse":{…}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseMessage<T> {
    #[serde(rename = "Version", default)]
    pub version: String,
    #[serde(rename = "Format", default)]
    pub format: String,
    #[serde(rename = "Merchant", default)]
    pub merchant: Merchant,
    #[serde(rename = "TrxResponse")]
    pub trx_response: T,
}

impl<T: Serialize> ResponseMessage<T> {
    pub fn new(merchant_id: &str, trx_response: T) -> ResponseMessage<T> {
        ResponseMessage {
            version: VERSION.to_string(),
            format: "JSON".to_string(),
            merchant: Merchant::new(merchant_id),
            trx_response,
        }
    }

    /// Compact JSON: M, ready for `wire::build_answer`.
    pub fn to_json(&self) -> Result<String, MessageError> {
        serde_json::to_string(self).map_err(|e| MessageError::Unreadable(e.to_string()))
    }
}

impl<T: DeserializeOwned> ResponseMessage<T> {
    /// Reads a VERIFIED answer M.
    pub fn read(message: &str) -> Result<ResponseMessage<T>, MessageError> {
        read_value(message.as_bytes())
    }

    /// Reads a VERIFIED answer M of up to `max_bytes` (a QueryBatchRefund answer lists up to
    /// 10,000 lines).
    pub fn read_large(message: &str, max_bytes: usize) -> Result<ResponseMessage<T>, MessageError> {
        let value = crate::wire::parse_lenient_large(message.as_bytes(), max_bytes)
            .map_err(|e| MessageError::Unreadable(e.to_string()))?;
        serde_json::from_value(value).map_err(|e| MessageError::Unreadable(e.to_string()))
    }
}

/// The TrxResponse of a refused request: only the code and its message.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ErrorResponse {
    pub return_code: String,
    pub error_message: String,
}

fn read_value<T: DeserializeOwned>(message: &[u8]) -> Result<T, MessageError> {
    let value =
        crate::wire::parse_lenient(message).map_err(|e| MessageError::Unreadable(e.to_string()))?;
    serde_json::from_value(value).map_err(|e| MessageError::Unreadable(e.to_string()))
}

/// The fields every TrxResponse starts with, whatever its TrxType.
pub trait ResponseHead {
    fn return_code(&self) -> &str;
    fn error_message(&self) -> &str;
    fn merchant_id(&self) -> &str;
    fn trx_type(&self) -> &str;
}

/// Implements [`ResponseHead`] for a TrxResponse struct with the four common fields.
macro_rules! response_head {
    ($($ty:ty),* $(,)?) => {$(
        impl $crate::messages::ResponseHead for $ty {
            fn return_code(&self) -> &str { &self.return_code }
            fn error_message(&self) -> &str { &self.error_message }
            fn merchant_id(&self) -> &str { &self.merchant_id }
            fn trx_type(&self) -> &str { &self.trx_type }
        }
    )*};
}
pub(crate) use response_head;
