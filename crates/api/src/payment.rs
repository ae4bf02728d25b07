//! The payment object, as `/v1` answers it and `payment.*` notifications carry it. Its text
//! fields borrow from the server's row: a payment is rendered on every read and every
//! notification, and copying each string there would only feed the allocator.

use crate::metadata::Metadata;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Payment)]
pub struct Payment<'a> {
    pub id: Cow<'a, str>,
    pub app_id: Cow<'a, str>,
    pub out_trade_no: Cow<'a, str>,
    /// Minor units (fen).
    pub amount: i64,
    #[schema(examples("CNY"))]
    pub currency: Cow<'a, str>,
    pub subject: Cow<'a, str>,
    #[schema(value_type = PaymentStatus)]
    pub status: Cow<'a, str>,
    /// The bank that took the payment: `abc` or `unionpay`.
    pub channel: Cow<'a, str>,
    /// The merchant's account at that bank the payment went through. Always present in
    /// answers; a client reading an older server's answer finds it empty.
    #[serde(default)]
    #[schema(required = true)]
    pub channel_account_id: Cow<'a, str>,
    /// The order number the bank knows the payment by (ABC OrderNo, UnionPay orderId).
    pub channel_order_no: Cow<'a, str>,
    /// The bank's serial (ABC iRspRef).
    pub channel_trade_no: Option<Cow<'a, str>>,
    #[schema(format = Date)]
    pub accounting_date: Option<Cow<'a, str>>,
    #[schema(format = DateTime)]
    pub paid_at: Option<String>,
    /// The page the customer pays on.
    pub cashier_url: String,
    pub return_url: Option<Cow<'a, str>>,
    pub notify_url: Option<Cow<'a, str>>,
    #[schema(format = DateTime)]
    pub expires_at: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The JSON object given at creation.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Metadata<'a>>,
    /// `immediate`, or `manual` for a pre-authorization. Always present in answers; a client
    /// reading an older server's answer finds it absent.
    #[serde(default)]
    #[schema(value_type = CaptureMode, required = true)]
    pub capture: Option<Cow<'a, str>>,
    /// What the capture of a pre-authorization took; null otherwise.
    #[serde(default)]
    #[schema(required = true)]
    pub captured_amount: Option<i64>,
    /// Refunds that succeeded. A refunded payment stays `succeeded`.
    #[serde(default)]
    pub refunded_amount: i64,
    /// Only in the answers of a K-code create, confirm and resend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub kcode: Option<KcodeState>,
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Created,
    Pending,
    Authorized,
    Succeeded,
    Failed,
    Closed,
    Cancelled,
}

/// How a payment is captured: at once, or later for a pre-authorization (PreAuthPay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaptureMode {
    #[default]
    Immediate,
    Manual,
}

/// A K-code payment's bill: where the texted code stands and what is left of its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KcodeState {
    #[schema(value_type = KcodeStatus)]
    pub status: String,
    /// Masked.
    pub card_no: String,
    /// Masked.
    pub mobile_no: String,
    #[schema(format = DateTime)]
    pub code_sent_at: Option<String>,
    pub resend_count: i64,
    pub resends_left: i64,
    pub wrong_attempts: i64,
    pub attempts_left: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KcodeStatus {
    Sending,
    CodeSent,
    Refused,
    Unknown,
    Paid,
    Failed,
}
