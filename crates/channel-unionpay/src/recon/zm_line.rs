//! One ZM line, checked: borrowed from the reader's buffer, its fields sliced by offset.

use super::zm_layout::{LINE_BYTES, ZmField};
use std::borrow::Cow;

/// Fields that may hold GBK text; every other field is ASCII.
const FREE_TEXT: [ZmField; 3] = [
    ZmField::SubMerchantName,
    ZmField::MerchantReserved,
    ZmField::Reserved,
];

/// Fields written as a direction letter and 12 digits of fen.
const SIGNED_AMOUNTS: [ZmField; 6] = [
    ZmField::Fee,
    ZmField::SettlementAmount,
    ZmField::SubMerchantAmount,
    ZmField::NetAmount,
    ZmField::DiscountAmount,
    ZmField::InvoiceAmount,
];

/// The first character of a signed amount: which way the money goes for the merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `D`: taken from the merchant (a fee, a refund's settlement).
    Debit,
    /// `C`: paid to the merchant.
    Credit,
    /// A space: no direction (the amount is usually zero).
    Unsigned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignedFen {
    pub direction: Direction,
    pub fen: u64,
}

impl SignedFen {
    /// Credit positive, debit negative.
    pub fn signed(self) -> i64 {
        let fen = i64::try_from(self.fen).unwrap_or(i64::MAX);
        match self.direction {
            Direction::Debit => -fen,
            Direction::Credit | Direction::Unsigned => fen,
        }
    }

    fn parse(bytes: &[u8]) -> Option<SignedFen> {
        let (&sign, digits) = bytes.split_first()?;
        let direction = match sign {
            b'D' => Direction::Debit,
            b'C' => Direction::Credit,
            b' ' => Direction::Unsigned,
            _ => return None,
        };
        Some(SignedFen {
            direction,
            fen: digits_value(digits)?,
        })
    }
}

/// A line that passed [`ZmLine::check`]: the accessors cannot fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZmLine<'a> {
    /// 1-based: the file's first line is 1 (a ZM file has no header).
    pub line_no: u64,
    bytes: &'a [u8],
}

impl<'a> ZmLine<'a> {
    /// `bytes` without its line end; `Err` says why it is not a ZM line.
    pub fn check(line_no: u64, bytes: &'a [u8]) -> Result<ZmLine<'a>, String> {
        if bytes.len() != LINE_BYTES {
            return Err(format!(
                "{} bytes where a ZM line has {LINE_BYTES}",
                bytes.len()
            ));
        }
        let line = ZmLine { line_no, bytes };
        for field in ZmField::ALL {
            let end = field.offset() + field.width();
            if field != ZmField::Reserved && bytes.get(end) != Some(&b' ') {
                return Err(format!("no separator after field {}", field.index() + 1));
            }
            if !FREE_TEXT.contains(&field) && !line.raw(field).is_ascii() {
                return Err(format!("field {} is not ASCII", field.index() + 1));
            }
        }
        if digits_value(line.raw(ZmField::Amount)).is_none() {
            return Err("the amount is not 12 digits".to_string());
        }
        for field in SIGNED_AMOUNTS {
            if SignedFen::parse(line.raw(field)).is_none() {
                return Err(format!("field {} is not a D/C amount", field.index() + 1));
            }
        }
        Ok(line)
    }

    /// The whole line, without its line end.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The field's bytes, padding included.
    pub fn raw(&self, field: ZmField) -> &'a [u8] {
        let start = field.offset();
        self.bytes
            .get(start..start + field.width())
            .unwrap_or_default()
    }

    /// The field as text without its padding (GBK decoded where it is not ASCII).
    pub fn text(&self, field: ZmField) -> Cow<'a, str> {
        let raw = self.raw(field).trim_ascii();
        match std::str::from_utf8(raw) {
            Ok(text) if raw.is_ascii() => Cow::Borrowed(text),
            _ => encoding_rs::GBK.decode_without_bom_handling(raw).0,
        }
    }

    /// An ASCII field without its padding.
    fn ascii(&self, field: ZmField) -> &'a str {
        std::str::from_utf8(self.raw(field).trim_ascii()).unwrap_or_default()
    }

    pub fn transaction_code(&self) -> &'a str {
        self.ascii(ZmField::TransactionCode)
    }

    pub fn order_id(&self) -> &'a str {
        self.ascii(ZmField::OrderId)
    }

    pub fn query_id(&self) -> &'a str {
        self.ascii(ZmField::QueryId)
    }

    pub fn original_query_id(&self) -> &'a str {
        self.ascii(ZmField::OriginalQueryId)
    }

    /// `01` consume, `04` refund, `31` void, … (the request's txnType).
    pub fn txn_type(&self) -> &'a str {
        self.ascii(ZmField::TxnType)
    }

    pub fn biz_type(&self) -> &'a str {
        self.ascii(ZmField::BizType)
    }

    pub fn mer_id(&self) -> &'a str {
        self.ascii(ZmField::MerId)
    }

    pub fn trace_no(&self) -> &'a str {
        self.ascii(ZmField::TraceNo)
    }

    /// `MMDDhhmmss`, without the year.
    pub fn trace_time(&self) -> &'a str {
        self.ascii(ZmField::TraceTime)
    }

    pub fn amount_fen(&self) -> u64 {
        digits_value(self.raw(ZmField::Amount)).unwrap_or(0)
    }

    pub fn signed_amount(&self, field: ZmField) -> Option<SignedFen> {
        SIGNED_AMOUNTS
            .contains(&field)
            .then(|| SignedFen::parse(self.raw(field)))
            .flatten()
    }

    pub fn fee(&self) -> SignedFen {
        self.checked_amount(ZmField::Fee)
    }

    pub fn settlement_amount(&self) -> SignedFen {
        self.checked_amount(ZmField::SettlementAmount)
    }

    pub fn net_amount(&self) -> SignedFen {
        self.checked_amount(ZmField::NetAmount)
    }

    fn checked_amount(&self, field: ZmField) -> SignedFen {
        self.signed_amount(field).unwrap_or(SignedFen {
            direction: Direction::Unsigned,
            fen: 0,
        })
    }
}

/// All digits, at most 18 of them (so the value fits).
fn digits_value(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 18 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(bytes).ok()?.parse().ok()
}
