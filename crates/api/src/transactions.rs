//! The transaction flow (交易流水): the app's own payments and refunds page by page, and the
//! bank's records of some hours of a day.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One page of the app's payments and refunds, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TransactionPage {
    pub data: Vec<Transaction>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Transaction {
    #[serde(rename = "type")]
    pub kind: TransactionKind,
    pub id: String,
    /// The out_trade_no of a payment, the out_refund_no of a refund.
    pub out_no: String,
    pub amount: i64,
    pub status: String,
    pub payment_id: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransactionKind {
    Payment,
    Refund,
}

/// The bank's records (QueryTrnxRecords) of the app's channel account, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelTransactions {
    pub channel_account: String,
    #[schema(format = Date)]
    pub date: String,
    #[schema(minimum = 0, maximum = 23)]
    pub start_hour: u8,
    #[schema(minimum = 0, maximum = 23)]
    pub end_hour: u8,
    pub records: Vec<ChannelRecord>,
    /// The lines that could not be read, and why.
    pub unreadable: Vec<UnreadableLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChannelRecord {
    pub line_no: u64,
    #[serde(rename = "type")]
    pub kind: TransactionKind,
    pub order_no: String,
    /// For a refund: the payment's order number.
    pub original_order_no: String,
    pub amount: i64,
    pub fee: i64,
    pub accounting_date: String,
    pub bank_serial: String,
    pub traded_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UnreadableLine {
    pub line_no: u64,
    pub reason: String,
}
