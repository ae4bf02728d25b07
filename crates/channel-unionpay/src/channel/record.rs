//! What is kept of a bank message (masked text, hash of the bytes), and the Beijing times
//! UnionPay's fields are written in.

use crate::fields::Fields;
use crate::messages::{MessageError, TxnTime};
use sha2::{Digest, Sha256};
use unipay_core::calendar;
use unipay_core::channel::RawMessage;
use unipay_core::masking::{mask_card, mask_id};

/// Fields that carry a card or account number, or the payer's details.
const CARD_FIELDS: &[&str] = &["accNo", "payCardNo"];
const HIDDEN_FIELDS: &[&str] = &["customerInfo", "encryptCertId", "phoneNo", "accName"];
/// Long and public: kept out of the record, which names it.
const CERTIFICATE_FIELD: &str = "signPubKeyCert";

/// `bytes` as received (hashed) and `fields` as read (masked): `k=v&…`, sorted.
pub(super) fn raw_message(bytes: &[u8], fields: &Fields) -> RawMessage {
    let masked = fields
        .iter()
        .map(|(key, value)| {
            let shown = if CARD_FIELDS.contains(&key) {
                if value.len() >= 12 {
                    mask_card(value)
                } else {
                    mask_id(value)
                }
            } else if HIDDEN_FIELDS.contains(&key) {
                "***".to_string()
            } else if key == CERTIFICATE_FIELD {
                "[certificate]".to_string()
            } else {
                value.to_string()
            };
            format!("{key}={shown}")
        })
        .collect::<Vec<_>>()
        .join("&");
    RawMessage {
        masked,
        sha256: hex::encode(Sha256::digest(bytes)),
    }
}

/// `YYYYMMDDhhmmss` in Beijing time: the `txnTime` (or `payTimeout`) of instant `ms`.
pub(super) fn txn_time(ms: i64) -> Result<TxnTime, MessageError> {
    let text = calendar::beijing(ms)
        .map(|t| t.format("%Y%m%d%H%M%S").to_string())
        .unwrap_or_default();
    TxnTime::new(&text)
}

/// A `settleDate` (`MMDD`) as `YYYY-MM-DD`: the year is the transaction's (its `txnTime`), or
/// the next one when the settlement month is earlier (a December payment settled in January).
pub(super) fn settle_date(settle_mmdd: &str, txn_time: &str) -> Option<String> {
    let year: i32 = txn_time.get(0..4)?.parse().ok()?;
    let txn_month: u32 = txn_time.get(4..6)?.parse().ok()?;
    let month: u32 = settle_mmdd.get(0..2)?.parse().ok()?;
    let day: u32 = settle_mmdd.get(2..4)?.parse().ok()?;
    let year = if month < txn_month { year + 1 } else { year };
    chrono::NaiveDate::from_ymd_opt(year, month, day).map(|d| d.format("%Y-%m-%d").to_string())
}
