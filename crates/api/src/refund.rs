//! The refund object, as `/v1` answers it and `refund.*` notifications carry it; borrowed from
//! the server's row like the payment.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = Refund)]
pub struct Refund<'a> {
    pub id: Cow<'a, str>,
    pub payment_id: Cow<'a, str>,
    pub out_refund_no: Cow<'a, str>,
    /// Minor units (fen).
    pub amount: i64,
    pub currency: Cow<'a, str>,
    pub reason: Option<Cow<'a, str>>,
    #[schema(value_type = RefundStatus)]
    pub status: Cow<'a, str>,
    /// The bank's serial for the refund, once it succeeded.
    pub channel_refund_no: Option<Cow<'a, str>>,
    #[schema(format = Date)]
    pub accounting_date: Option<Cow<'a, str>>,
    pub failure_reason: Option<Cow<'a, str>>,
    /// The refund batch the refund was a line of.
    pub batch_id: Option<Cow<'a, str>>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

/// A payment's refunds, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RefundList)]
pub struct RefundList<'a> {
    pub payment_id: Cow<'a, str>,
    pub refunds: Vec<Refund<'a>>,
}
