//! The gateway's own book: every transaction a merchant started (consumes and pre-auths from
//! the browser, refunds and voids from the back end), found by the merchant's key (merId,
//! orderId, txnTime), by UnionPay's `queryId`, or by the payer's page token.

use super::signing::Sealing;
use std::collections::HashMap;

/// Transactions the book holds at most; a merchant starting more is refused.
pub const MAX_TRANSACTIONS: usize = 200_000;

/// txnType codes (§4 of the protocol page).
pub const CONSUME: &str = "01";
pub const PREAUTH: &str = "02";
pub const COMPLETION: &str = "03";
pub const REFUND: &str = "04";
pub const CONSUME_VOID: &str = "31";
pub const PREAUTH_VOID: &str = "32";
pub const COMPLETION_VOID: &str = "33";

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// A front transaction whose payer has not decided; a back one not yet processed.
    InProgress,
    Succeeded,
    Failed {
        code: String,
        message: String,
    },
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Transaction {
    pub mer_id: String,
    pub order_id: String,
    pub txn_time: String,
    pub txn_type: String,
    pub txn_sub_type: String,
    pub biz_type: String,
    pub access_type: String,
    pub channel_type: Option<String>,
    pub currency_code: String,
    pub amount_fen: u64,
    pub query_id: String,
    pub orig_query_id: Option<String>,
    pub status: Status,
    pub front_url: Option<String>,
    pub back_url: Option<String>,
    pub sealing: Sealing,
    pub encoding: String,
    pub req_reserved: Option<String>,
    pub settle_date: Option<String>,
    pub trace_no: Option<String>,
    pub trace_time: Option<String>,
    /// On a consume or completion: the sum of its refunds that were accepted.
    pub refunded_fen: u64,
    /// On a consume, pre-auth or completion: a void was accepted.
    pub voided: bool,
    /// On a pre-auth: a completion was accepted (and not voided).
    pub completed: bool,
    /// The payer's page, while the payer has not decided.
    pub page_token: Option<String>,
    /// Set once the merchant answered a back notification with HTTP 200.
    pub notify_acknowledged: bool,
    /// Back-notification attempts made (each copy of a duplicated one counts).
    pub notify_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("the order is already known")]
    Duplicate,
    #[error("the book is full")]
    Full,
}

pub type OrderKey = (String, String, String);

#[derive(Default)]
pub struct Book {
    transactions: Vec<Transaction>,
    by_key: HashMap<OrderKey, usize>,
    by_query_id: HashMap<String, usize>,
    by_token: HashMap<String, usize>,
}

impl Book {
    pub fn add(&mut self, transaction: Transaction) -> Result<usize, BookError> {
        let key = (
            transaction.mer_id.clone(),
            transaction.order_id.clone(),
            transaction.txn_time.clone(),
        );
        if self.by_key.contains_key(&key) {
            return Err(BookError::Duplicate);
        }
        if self.transactions.len() >= MAX_TRANSACTIONS {
            return Err(BookError::Full);
        }
        let index = self.transactions.len();
        self.by_query_id.insert(transaction.query_id.clone(), index);
        if let Some(token) = &transaction.page_token {
            self.by_token.insert(token.clone(), index);
        }
        self.by_key.insert(key, index);
        self.transactions.push(transaction);
        Ok(index)
    }

    pub fn by_order(&self, mer_id: &str, order_id: &str, txn_time: &str) -> Option<usize> {
        let key = (
            mer_id.to_string(),
            order_id.to_string(),
            txn_time.to_string(),
        );
        self.by_key.get(&key).copied()
    }

    pub fn by_query_id(&self, query_id: &str) -> Option<usize> {
        self.by_query_id.get(query_id).copied()
    }

    /// The transaction behind a payer's page, which can be used once.
    pub fn take_token(&mut self, token: &str) -> Option<usize> {
        let index = self.by_token.remove(token)?;
        if let Some(transaction) = self.transactions.get_mut(index) {
            transaction.page_token = None;
        }
        Some(index)
    }

    pub fn peek_token(&self, token: &str) -> Option<usize> {
        self.by_token.get(token).copied()
    }

    pub fn get(&self, index: usize) -> Option<&Transaction> {
        self.transactions.get(index)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut Transaction> {
        self.transactions.get_mut(index)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Transaction> {
        self.transactions.iter()
    }
}
