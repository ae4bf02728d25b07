//! Money as integer minor units (fen). No floating point ever touches an amount.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest amount one payment may carry: 100 million yuan, far above any real order,
/// small enough that sums of many orders never overflow an `i64`.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    #[serde(rename = "CNY")]
    Cny,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Cny => "CNY",
        }
    }

    /// ISO 4217 numeric code, as banks write it (`156`).
    pub fn numeric_code(self) -> &'static str {
        match self {
            Currency::Cny => "156",
        }
    }

    pub fn parse(code: &str) -> Option<Currency> {
        match code {
            "CNY" => Some(Currency::Cny),
            _ => None,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A positive amount in fen, bounded by [`MAX_AMOUNT_FEN`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Amount(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount exceeds the maximum of {MAX_AMOUNT_FEN} fen")]
    TooLarge,
    #[error("amount text {0:?} is not a decimal with at most two places")]
    BadDecimal(String),
}

impl Amount {
    pub fn from_fen(fen: i64) -> Result<Amount, AmountError> {
        if fen <= 0 {
            return Err(AmountError::NotPositive);
        }
        if fen > MAX_AMOUNT_FEN {
            return Err(AmountError::TooLarge);
        }
        Ok(Amount(fen))
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// The bank's decimal yuan form: `1234` fen is `"12.34"`.
    pub fn to_yuan_string(self) -> String {
        format_yuan(self.0)
    }

    /// For pages: `123456` fen is `"1,234.56"` (see [`display_yuan`]).
    pub fn to_display_yuan(self) -> String {
        display_yuan(self.0)
    }

    /// Parses the bank's decimal yuan text exactly. More than two decimals, signs, exponents
    /// and anything that is not plain digits are rejected rather than rounded.
    pub fn parse_yuan(text: &str) -> Result<Amount, AmountError> {
        let fen = parse_yuan_to_fen(text)?;
        Amount::from_fen(fen)
    }
}

impl TryFrom<i64> for Amount {
    type Error = AmountError;
    fn try_from(fen: i64) -> Result<Self, Self::Error> {
        Amount::from_fen(fen)
    }
}

impl From<Amount> for i64 {
    fn from(amount: Amount) -> i64 {
        amount.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_yuan(self.0))
    }
}

/// Formats any fen value (also zero or negative, for reports) as yuan with two decimals.
pub fn format_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// Yuan as people read it on a page: thousands separated, two decimals (`123456789` fen is
/// `"1,234,567.89"`). Only for display: files and the bank take [`format_yuan`].
pub fn display_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (at, digit) in whole.chars().enumerate() {
        if at > 0 && (whole.len() - at).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}.{:02}", abs % 100)
}

/// Parses `"12"`, `"12.3"` or `"12.34"` (optionally negative, for statements) into fen.
pub fn parse_yuan_to_fen(text: &str) -> Result<i64, AmountError> {
    let bad = || AmountError::BadDecimal(text.to_string());
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => (w, f),
        None => (digits, ""),
    };
    if whole.is_empty() || whole.len() > 15 || frac.len() > 2 {
        return Err(bad());
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if digits.contains('.') && frac.is_empty() {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac_fen: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().map_err(|_| bad())? * 10,
        _ => frac.parse().map_err(|_| bad())?,
    };
    let fen = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(frac_fen))
        .ok_or_else(bad)?;
    Ok(if negative { -fen } else { fen })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_yuan_groups_thousands() {
        assert_eq!(display_yuan(0), "0.00");
        assert_eq!(display_yuan(5), "0.05");
        assert_eq!(display_yuan(99_999), "999.99");
        assert_eq!(display_yuan(100_000), "1,000.00");
        assert_eq!(display_yuan(123_456_789), "1,234,567.89");
        assert_eq!(display_yuan(-1_234_500), "-12,345.00");
        assert_eq!(display_yuan(i64::MIN), "-92,233,720,368,547,758.08");
    }

    #[test]
    fn yuan_round_trips_exactly() {
        for fen in [1, 9, 10, 99, 100, 101, 1234, 200, MAX_AMOUNT_FEN] {
            let amount = Amount::from_fen(fen).unwrap();
            assert_eq!(
                Amount::parse_yuan(&amount.to_yuan_string()).unwrap(),
                amount
            );
        }
        assert_eq!(Amount::parse_yuan("2.00").unwrap().fen(), 200);
        assert_eq!(Amount::parse_yuan("0.1").unwrap().fen(), 10);
        assert_eq!(Amount::parse_yuan("12").unwrap().fen(), 1200);
        assert_eq!(parse_yuan_to_fen("-1.05").unwrap(), -105);
    }

    /// Proves, over many pseudo-random amounts, that fen → yuan text → fen is the identity and
    /// that the text always has exactly two decimals.
    #[test]
    fn random_amounts_round_trip() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let fen = (seed % MAX_AMOUNT_FEN as u64) as i64 + 1;
            let text = Amount::from_fen(fen).unwrap().to_yuan_string();
            assert_eq!(
                text.split_once('.').map(|(_, f)| f.len()),
                Some(2),
                "{text}"
            );
            assert_eq!(Amount::parse_yuan(&text).unwrap().fen(), fen);
            assert_eq!(parse_yuan_to_fen(&format_yuan(-fen)).unwrap(), -fen);
        }
    }

    #[test]
    fn rejects_inexact_or_odd_text() {
        for text in [
            "1.234", "", ".5", "1.", "1e2", "+1", "1,00", " 1", "0x10", "--1", "1.-1",
        ] {
            assert!(
                parse_yuan_to_fen(text).is_err(),
                "{text:?} must be rejected"
            );
        }
        assert_eq!(Amount::parse_yuan("0.00"), Err(AmountError::NotPositive));
    }

    #[test]
    fn bounds_are_enforced() {
        assert_eq!(Amount::from_fen(0), Err(AmountError::NotPositive));
        assert_eq!(Amount::from_fen(-5), Err(AmountError::NotPositive));
        assert_eq!(
            Amount::from_fen(MAX_AMOUNT_FEN + 1),
            Err(AmountError::TooLarge)
        );
    }
}
