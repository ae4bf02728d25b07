//! The numbers a business system gives its requests (`out_trade_no`, `out_refund_no`,
//! `out_batch_no`, `out_mandate_no`, `out_verify_no`, ...): they are unique per app, looked up
//! by, sent on to the bank inside ours and written into files, so they keep to characters that
//! need no quoting or escaping anywhere.

use std::fmt;

/// The longest reference number: a column's width.
pub const MAX_REF_NO_LEN: usize = 64;

/// A business system's reference number: 1 to [`MAX_REF_NO_LEN`] characters of
/// `A-Z a-z 0-9 - _ .`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RefNo(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1-64 characters of A-Z a-z 0-9 - _ .")]
pub struct RefNoError;

impl RefNo {
    pub fn parse(text: &str) -> Result<RefNo, RefNoError> {
        if RefNo::is_valid(text) {
            Ok(RefNo(text.to_string()))
        } else {
            Err(RefNoError)
        }
    }

    pub fn is_valid(text: &str) -> bool {
        (1..=MAX_REF_NO_LEN).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for RefNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RefNo {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<RefNo> for String {
    fn from(no: RefNo) -> String {
        no.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_are_kept_as_given() {
        let longest = "9".repeat(MAX_REF_NO_LEN);
        for text in ["A", "order-2026.11_27", longest.as_str()] {
            assert_eq!(
                RefNo::parse(text).map(RefNo::into_string).as_deref(),
                Ok(text)
            );
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let long = "9".repeat(MAX_REF_NO_LEN + 1);
        for text in ["", "a b", "a,b", "订单1", "a/b", "a\n", long.as_str()] {
            assert_eq!(RefNo::parse(text), Err(RefNoError), "{text:?}");
        }
    }
}
