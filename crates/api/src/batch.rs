//! Refund batches and debit batches: up to 10,000 lines sent to the bank as one file, each line
//! becoming a refund or a payment with its own notifications.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::ToSchema;

/// A refund batch. The create's answer and a GET list the lines; an answer replayed under an
/// Idempotency-Key is the batch as first created, without them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RefundBatch)]
pub struct RefundBatch<'a> {
    pub id: Cow<'a, str>,
    pub out_batch_no: Cow<'a, str>,
    #[schema(value_type = BatchStatus)]
    pub status: Cow<'a, str>,
    pub line_count: i64,
    pub total_amount: i64,
    pub succeeded_count: i64,
    pub succeeded_amount: i64,
    pub failed_count: i64,
    pub failed_amount: i64,
    /// Why the bank rejected the batch, when it did.
    pub reason: Option<Cow<'a, str>>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lines: Option<Vec<RefundBatchLine<'a>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RefundBatchLine)]
pub struct RefundBatchLine<'a> {
    pub seq_no: i64,
    pub refund_id: Cow<'a, str>,
    pub payment_id: Cow<'a, str>,
    pub out_refund_no: Cow<'a, str>,
    pub amount: i64,
    #[schema(value_type = crate::RefundStatus)]
    pub status: Cow<'a, str>,
    pub channel_refund_no: Option<Cow<'a, str>>,
    pub failure_reason: Option<Cow<'a, str>>,
}

/// A debit batch (AgentBatch). The create's answer and a GET list the lines and their tallies;
/// an answer replayed under an Idempotency-Key is the batch as first created, without them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = DebitBatch)]
pub struct DebitBatch<'a> {
    pub id: Cow<'a, str>,
    pub out_batch_no: Cow<'a, str>,
    #[schema(value_type = BatchStatus)]
    pub status: Cow<'a, str>,
    pub line_count: i64,
    pub total_amount: i64,
    /// Why the bank rejected the batch, when it did.
    pub reason: Option<Cow<'a, str>>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub finished_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub succeeded_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub succeeded_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub failed_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub failed_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lines: Option<Vec<DebitBatchLine<'a>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = DebitBatchLine)]
pub struct DebitBatchLine<'a> {
    pub seq_no: i64,
    pub payment_id: Cow<'a, str>,
    pub mandate_id: Cow<'a, str>,
    pub out_trade_no: Cow<'a, str>,
    pub amount: i64,
    #[schema(value_type = crate::PaymentStatus)]
    pub status: Cow<'a, str>,
    pub channel_trade_no: Option<Cow<'a, str>>,
    pub failure_reason: Option<Cow<'a, str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BatchStatus {
    Created,
    Submitted,
    Finished,
    Rejected,
}
