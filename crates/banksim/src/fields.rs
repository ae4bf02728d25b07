//! Checks of request fields that several transactions share. Each says only whether the text
//! has the shape the protocol gives it; the caller names the field in its `2101` answer.

use chrono::{NaiveDate, NaiveTime};

/// Strictly `YYYY/MM/DD` (chrono alone would take `2026/1/2`).
pub fn is_date(text: &str) -> bool {
    text.len() == 10 && NaiveDate::parse_from_str(text, "%Y/%m/%d").is_ok()
}

/// Strictly `HH:MM:SS`.
pub fn is_time(text: &str) -> bool {
    text.len() == 8 && NaiveTime::parse_from_str(text, "%H:%M:%S").is_ok()
}

/// At most `max` characters (not bytes: the merchant writes Chinese).
pub fn chars_at_most(text: &str, max: usize) -> bool {
    text.chars().nth(max).is_none()
}

/// `156`, the yuan, or nothing where the field is optional.
pub fn is_optional_currency(text: &str) -> bool {
    matches!(text, "" | "156")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(is_date("2026/11/27"));
        assert!(!is_date("2026/1/27") && !is_date("2026-11-27") && !is_date(""));
        assert!(is_time("09:05:00"));
        assert!(!is_time("9:05:00") && !is_time("24:00:00"));
        assert!(chars_at_most("退款测试", 4) && !chars_at_most("退款测试", 3));
        assert!(is_optional_currency("") && is_optional_currency("156"));
        assert!(!is_optional_currency("840"));
    }
}
