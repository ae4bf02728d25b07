//! The channel account: one ABC merchant number with its key and the bank's certificate.

use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

/// How the platform delivers the payment result (`NotifyType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotifyType {
    /// `0`: through the consumer's browser.
    Page,
    /// `1`: server to server.
    Server,
}

impl NotifyType {
    pub fn code(self) -> &'static str {
        match self {
            NotifyType::Page => "0",
            NotifyType::Server => "1",
        }
    }
}

/// Payment types (`PaymentType`) with Chinese and English labels.
pub const PAYMENT_TYPES: &[(&str, &str)] = &[
    ("1", "农行借记卡 ABC debit card"),
    ("3", "信用卡 Credit card"),
    ("6", "银联跨行支付 UnionPay cross-bank"),
    ("7", "对公户 Corporate account"),
    ("A", "全部方式 All payment types"),
];

/// The label of a payment type code (the code itself when unknown).
pub fn payment_type_label(code: &str) -> &str {
    PAYMENT_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .unwrap_or(code)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetupError {
    #[error("invalid ABC account setting: {0}")]
    Config(String),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// One ABC merchant account. Build with [`AbcAccount::new`] and adjust the public fields.
#[derive(Debug, Clone)]
pub struct AbcAccount {
    /// `MerchantID`, e.g. `103881234560010`.
    pub merchant_id: String,
    /// The merchant's signing key (from the bank's `.pfx`).
    pub key: PrivateKey,
    /// The platform's certificate (`TrustPay.cer`): verifies answers and notifications.
    pub bank_certificate: Certificate,
    /// The algorithm our requests are signed with (answers name their own).
    pub algorithm: SignatureAlgorithm,
    /// The platform's `.../ebus/trustpay/ReceiveMerchantTrxReqServlet`.
    pub trx_url: String,
    /// The payment types offered at the cashier (`1`, `3`, `6`, `7`, `A`).
    pub payment_types: Vec<String>,
    pub notify_type: NotifyType,
    /// `1` internet, `2` mobile.
    pub payment_link_type: String,
    /// The hour (Asia/Shanghai, UTC+8) at which the bank's accounting day cuts over: a payment
    /// at or after it belongs to the next date. 24 means no cut-over (calendar days).
    pub cutover_hour: u8,
    /// Whole-request timeout of a platform call.
    pub timeout_ms: u64,
    /// Whole-request timeout of a statement download (Settle, QueryTrnxRecords): the answer
    /// carries a whole day's file.
    pub statement_timeout_ms: u64,
    /// `CommodityType` sent in PayReq (ABC's goods category; `0201` in ABC's own demo).
    pub commodity_type: String,
    /// `ExpiredDate`: days the platform keeps the order (30 in ABC's own demo).
    pub order_keep_days: u32,
}

impl AbcAccount {
    /// An account with the defaults: SHA1withRSA, all payment types, server notification,
    /// internet link, cut-over at 23:00, 30 s timeout (10 min for statements).
    pub fn new(
        merchant_id: impl Into<String>,
        key: PrivateKey,
        bank_certificate: Certificate,
        trx_url: impl Into<String>,
    ) -> AbcAccount {
        AbcAccount {
            merchant_id: merchant_id.into(),
            key,
            bank_certificate,
            algorithm: SignatureAlgorithm::Sha1WithRsa,
            trx_url: trx_url.into(),
            payment_types: vec!["A".to_string()],
            notify_type: NotifyType::Server,
            payment_link_type: "1".to_string(),
            cutover_hour: 23,
            timeout_ms: 30_000,
            statement_timeout_ms: 600_000,
            commodity_type: "0201".to_string(),
            order_keep_days: 30,
        }
    }

    pub(super) fn validate(&self) -> Result<(), SetupError> {
        let bad = |what: &str| Err(SetupError::Config(what.to_string()));
        if self.merchant_id.is_empty()
            || self.merchant_id.len() > 32
            || !self.merchant_id.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return bad("merchant_id must be 1 to 32 letters or digits");
        }
        if !(self.trx_url.starts_with("https://") || self.trx_url.starts_with("http://")) {
            return bad("trx_url must be an http(s) URL");
        }
        if self.payment_types.is_empty() {
            return bad("payment_types must not be empty");
        }
        if let Some(code) = self
            .payment_types
            .iter()
            .find(|c| !PAYMENT_TYPES.iter().any(|(k, _)| k == c))
        {
            return Err(SetupError::Config(format!("unknown payment type {code:?}")));
        }
        if !matches!(self.payment_link_type.as_str(), "1" | "2") {
            return bad("payment_link_type must be 1 or 2");
        }
        if self.cutover_hour > 24 {
            return bad("cutover_hour must be 0 to 24");
        }
        if self.timeout_ms == 0 || self.timeout_ms > 600_000 {
            return bad("timeout_ms must be 1 to 600000");
        }
        if self.statement_timeout_ms == 0 || self.statement_timeout_ms > 3_600_000 {
            return bad("statement_timeout_ms must be 1 to 3600000");
        }
        if self.order_keep_days == 0 || self.order_keep_days > 3_650 {
            return bad("order_keep_days must be 1 to 3650");
        }
        Ok(())
    }
}
