//! The fields of statement requests. Each check returns the name of the bad field, for the
//! `2101` answer.

use crate::trx::text;
use chrono::NaiveDate;
use serde_json::Value;

/// `ZIP`: how the statement text travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zip {
    /// `0`: as it is, in `DetailRecords`.
    Plain,
    /// `1`: base64 of gzip of its GBK bytes, in `ZIPDetailRecords`.
    Gzip,
}

/// `SettleDate`: strictly `YYYY/MM/DD` (chrono alone would take `2026/1/2`).
pub fn settle_date(request: &Value) -> Result<NaiveDate, &'static str> {
    text(request, &["SettleDate"])
        .filter(|date| date.len() == 10)
        .and_then(|date| NaiveDate::parse_from_str(date, "%Y/%m/%d").ok())
        .ok_or("SettleDate")
}

pub fn zip(request: &Value) -> Result<Zip, &'static str> {
    match text(request, &["ZIP"]) {
        Some("0") => Ok(Zip::Plain),
        Some("1") => Ok(Zip::Gzip),
        _ => Err("ZIP"),
    }
}

/// `SettleStartHour` and `SettleEndHour`: 0–23 (`7` or `07`), start ≤ end.
pub fn hours(request: &Value) -> Result<(u32, u32), &'static str> {
    let start = hour(request, "SettleStartHour")?;
    let end = hour(request, "SettleEndHour")?;
    if start > end {
        return Err("SettleEndHour");
    }
    Ok((start, end))
}

fn hour(request: &Value, name: &'static str) -> Result<u32, &'static str> {
    text(request, &[name])
        .filter(|hour| (1..=2).contains(&hour.len()) && hour.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|hour| hour.parse::<u32>().ok())
        .filter(|hour| *hour <= 23)
        .ok_or(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_dates_zip_and_hours() {
        let ok = json!({"SettleDate": "2026/11/27", "ZIP": "1", "SettleStartHour": "07", "SettleEndHour": "23"});
        assert_eq!(
            settle_date(&ok).unwrap(),
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
        );
        assert_eq!(zip(&ok), Ok(Zip::Gzip));
        assert_eq!(hours(&ok), Ok((7, 23)));
        for date in ["2026-11-27", "2026/1/27", "2026/13/01", ""] {
            assert_eq!(
                settle_date(&json!({ "SettleDate": date })),
                Err("SettleDate")
            );
        }
        assert_eq!(settle_date(&json!({})), Err("SettleDate"));
        assert_eq!(zip(&json!({"ZIP": "2"})), Err("ZIP"));
        assert_eq!(zip(&json!({})), Err("ZIP"));
        let bad = |start: &str, end: &str| {
            hours(&json!({"SettleStartHour": start, "SettleEndHour": end}))
        };
        assert_eq!(bad("24", "24"), Err("SettleStartHour"));
        assert_eq!(bad("-1", "3"), Err("SettleStartHour"));
        assert_eq!(bad("+1", "3"), Err("SettleStartHour"));
        assert_eq!(bad("0", "x"), Err("SettleEndHour"));
        assert_eq!(bad("5", "3"), Err("SettleEndHour"));
        assert_eq!(bad("0", "0"), Ok((0, 0)));
    }
}
