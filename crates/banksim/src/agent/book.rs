//! The bank's mandates, debit batches and the agent faults, under one lock of their own (taken
//! before the order book's when both are needed, never after).

use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignStatus {
    Pending,
    Active,
    Failed,
    Cancelled,
}

impl SignStatus {
    /// `SignStatus` on the wire.
    pub fn code(self) -> &'static str {
        match self {
            SignStatus::Pending => "0",
            SignStatus::Active => "1",
            SignStatus::Failed => "2",
            SignStatus::Cancelled => "3",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Signing {
    pub merchant_id: String,
    /// The merchant's number for the signing.
    pub order_no: String,
    pub token: String,
    pub card_type: String,
    pub certificate_type: String,
    /// The bank knows its customer; kept masked all the same, it is only shown.
    pub certificate_masked: String,
    /// The certificate number as the merchant sent it, echoed by QueryAgentSign (`CertificateNo`).
    pub certificate_no: String,
    /// `InvaidDate` (sic, the SDK's name), `YYYY/MM/DD`: no debit after it.
    pub expired_date: String,
    /// As the merchant sent them; echoed by QueryAgentSign.
    pub payment_link_type: String,
    pub mer_custom_no: String,
    /// When the mandate ended (`UnSignDate`, `YYYY/MM/DD`, and the time): by the merchant's
    /// AgentUnSign or at the bank (the AGENTUNSIGN notification's HostDate and HostTime).
    pub unsign_date: String,
    pub unsign_time: String,
    /// `0` page, `1` server.
    pub notify_type: String,
    pub notify_url: String,
    pub status: SignStatus,
    pub agent_sign_no: String,
    /// The card the customer signed with (the bank's own record).
    pub card_no: String,
    pub host_date: String,
    pub host_time: String,
    /// Why it failed: (code, message).
    pub failure: Option<(&'static str, &'static str)>,
    /// Deliveries of the result actually sent (not swallowed by the fault).
    pub notify_attempts: u32,
    pub notify_acknowledged: bool,
}

/// One line of a debit batch and how it ended.
#[derive(Debug, Clone)]
pub struct BatchLine {
    pub seq_no: String,
    pub agent_sign_no: String,
    pub order_no: String,
    pub amount_fen: i64,
    /// `None` while not processed; then `Ok(payment stamp)` or `Err((code, message))`.
    pub outcome: Option<Result<crate::book::Payment, (&'static str, &'static str)>>,
}

#[derive(Debug, Clone)]
pub struct DebitBatch {
    pub merchant_id: String,
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    pub serial_number: String,
    pub host_date: String,
    pub host_time: String,
    pub total_fen: i64,
    pub lines: Vec<BatchLine>,
    /// When the lines are carried out (Unix ms).
    pub due_ms: i64,
    pub processed: bool,
}

impl DebitBatch {
    /// The same request again: number, date and lines.
    pub fn same_request(&self, other: &DebitBatch) -> bool {
        self.batch_no == other.batch_no
            && self.batch_date == other.batch_date
            && self.lines.len() == other.lines.len()
            && self.lines.iter().zip(&other.lines).all(|(a, b)| {
                a.seq_no == b.seq_no
                    && a.agent_sign_no == b.agent_sign_no
                    && a.order_no == b.order_no
                    && a.amount_fen == b.amount_fen
            })
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AgentFaults {
    /// The customer's decision is taken but never delivered (neither server nor page).
    pub lose_sign_results: bool,
    /// Cards whose debits fail for want of money (`2404`).
    pub insufficient_funds_cards: Vec<String>,
    /// AgentPay carries the debit out but answers `EUNKWN`: only Query tells what happened.
    pub unknown_pay_answers: bool,
}

/// Signings and batches kept at most: beyond it the oldest batches go.
pub const MAX_BATCHES: usize = 10_000;

#[derive(Default)]
pub struct MandateBook {
    /// (MerchantID, OrderNo) → signing.
    pub signings: HashMap<(String, String), Signing>,
    /// Token of the signing page → (MerchantID, OrderNo).
    pub by_token: HashMap<String, (String, String)>,
    /// (MerchantID, AgentSignNo) → OrderNo of the signing.
    pub by_sign_no: HashMap<(String, String), String>,
    /// (MerchantID, BatchNo, BatchDate) → batch: AgentBatchQuery names a batch by these.
    pub batches: HashMap<(String, String, String), DebitBatch>,
    pub faults: AgentFaults,
    /// Cards of the fault, for lookups.
    pub poor_cards: HashSet<String>,
}

impl MandateBook {
    pub fn signing_by_sign_no(&self, merchant_id: &str, agent_sign_no: &str) -> Option<&Signing> {
        let order_no = self
            .by_sign_no
            .get(&(merchant_id.to_string(), agent_sign_no.to_string()))?;
        self.signings
            .get(&(merchant_id.to_string(), order_no.clone()))
    }

    pub fn set_faults(&mut self, faults: AgentFaults) {
        self.poor_cards = faults.insufficient_funds_cards.iter().cloned().collect();
        self.faults = faults;
    }

    pub fn find_batch(
        &self,
        merchant_id: &str,
        batch_no: &str,
        batch_date: &str,
    ) -> Option<&DebitBatch> {
        self.batches.get(&(
            merchant_id.to_string(),
            batch_no.to_string(),
            batch_date.to_string(),
        ))
    }
}
