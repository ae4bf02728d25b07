//! A Query answer's order detail: JSON in the answer's `Order` field, base64 (the captured
//! Query answer's fields and order).

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryOrder {
    #[serde(rename = "PayTypeID")]
    pub pay_type_id: String,
    pub order_no: String,
    pub order_date: String,
    pub order_time: String,
    pub order_amount: String,
    pub status: String,
    #[serde(rename = "iRspRef")]
    pub i_rsp_ref: String,
    /// The host's date and time of a K-code payment, which the merchant learns by Query only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_time: Option<String>,
}
