//! `Query`: the order query; the answer's `Order` is base64 of a JSON order detail.

use super::MessageError;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryRequest {
    /// Always `Query`.
    pub trx_type: String,
    #[serde(rename = "PayTypeID")]
    pub pay_type_id: String,
    pub order_no: String,
    /// `true` / `false`.
    pub query_detail: String,
}

impl QueryRequest {
    pub fn new(pay_type_id: &str, order_no: &str, detail: bool) -> QueryRequest {
        QueryRequest {
            trx_type: "Query".to_string(),
            pay_type_id: pay_type_id.to_string(),
            order_no: order_no.to_string(),
            query_detail: if detail { "true" } else { "false" }.to_string(),
        }
    }
}

/// TrxResponse of a Query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    /// Base64 of the JSON [`QueryOrder`].
    pub order: String,
}

/// The order detail inside a Query answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct QueryOrder {
    #[serde(rename = "PayTypeID")]
    pub pay_type_id: String,
    pub order_no: String,
    pub order_date: String,
    pub order_time: String,
    pub order_amount: String,
    /// See [`super::OrderStatus`].
    pub status: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    /// When the platform gives the host's date and time of the payment (not in the basic answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_time: Option<String>,
}

/// The order detail is small; anything bigger is not believed.
const MAX_ORDER_BASE64: usize = 16 * 1024;

impl QueryResponse {
    /// A successful answer (for the simulator), `Order` encoded from `order`.
    pub fn success(
        merchant_id: &str,
        message: &str,
        order: &QueryOrder,
    ) -> Result<QueryResponse, MessageError> {
        let json =
            serde_json::to_string(order).map_err(|e| MessageError::Unreadable(e.to_string()))?;
        Ok(QueryResponse {
            return_code: super::RETURN_CODE_SUCCESS.to_string(),
            error_message: message.to_string(),
            ec_merchant_type: super::EC_MERCHANT_TYPE.to_string(),
            merchant_id: merchant_id.to_string(),
            trx_type: "Query".to_string(),
            order: base64::engine::general_purpose::STANDARD.encode(json.as_bytes()),
        })
    }

    /// Decodes `Order`. The detail is ASCII in practice; it is read as UTF-8, else as GBK (the
    /// rest of the answer's charset).
    pub fn order_detail(&self) -> Result<QueryOrder, MessageError> {
        self.order_detail_as()
    }

    /// Decodes `Order` into another shape of detail (a refund's: [`super::RefundQueryOrder`]).
    pub fn order_detail_as<T: DeserializeOwned>(&self) -> Result<T, MessageError> {
        let text: String = self
            .order
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        if text.is_empty() {
            return Err(MessageError::bad("Order", "missing"));
        }
        if text.len() > MAX_ORDER_BASE64 {
            return Err(MessageError::bad("Order", "too large"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| MessageError::bad("Order", e))?;
        let json = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(err) => encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(err.as_bytes())
                .map(|t| t.into_owned())
                .ok_or_else(|| MessageError::bad("Order", "neither UTF-8 nor GBK"))?,
        };
        let value = crate::wire::parse_lenient(json.as_bytes())
            .map_err(|e| MessageError::bad("Order", e))?;
        serde_json::from_value(value).map_err(|e| MessageError::bad("Order", e))
    }
}
