//! The mandate object (授权支付), as `/v1` answers it and `mandate.*` notifications carry it.
//! The certificate number appears only masked: the full number is never kept.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Mandate)]
pub struct Mandate<'a> {
    pub id: Cow<'a, str>,
    pub app_id: Cow<'a, str>,
    pub out_mandate_no: Cow<'a, str>,
    #[schema(value_type = MandateStatus)]
    pub status: Cow<'a, str>,
    pub customer_ref: Cow<'a, str>,
    #[schema(value_type = CardType)]
    pub card_type: Cow<'a, str>,
    pub card_masked: Option<Cow<'a, str>>,
    pub certificate_type: Cow<'a, str>,
    pub certificate_no_masked: Cow<'a, str>,
    /// The last day debits may be made (Beijing).
    #[schema(format = Date)]
    pub expires_on: Cow<'a, str>,
    pub max_amount_per_debit: Option<i64>,
    /// Where the customer signs; null once the bank no longer needs it.
    pub sign_url: Option<Cow<'a, str>>,
    /// The number the bank knows the signing request by.
    pub channel_sign_no: Cow<'a, str>,
    /// The bank's number of the signed agreement (AgentSignNo).
    pub agent_sign_no: Option<Cow<'a, str>>,
    pub failure_reason: Option<Cow<'a, str>>,
    pub notify_url: Option<Cow<'a, str>>,
    pub return_url: Option<Cow<'a, str>>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub signed_at: Option<String>,
    #[schema(format = DateTime)]
    pub ended_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MandateStatus {
    Pending,
    Active,
    Failed,
    Cancelled,
    Expired,
}

/// The bank's card kinds: `1` debit, `3` credit, `A` either.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CardType {
    #[serde(rename = "1")]
    Debit,
    #[serde(rename = "3")]
    Credit,
    #[serde(rename = "A")]
    Any,
}
