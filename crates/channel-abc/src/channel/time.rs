//! Times on the wire are Beijing time (UTC+8, no daylight saving), written without a zone.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use unipay_core::calendar::{self, AccountingDate};

fn local(ms: i64) -> Option<NaiveDateTime> {
    calendar::beijing(ms)
}

/// Beijing time of `ms` as the wire writes it: (`YYYY/MM/DD`, `HH:MM:SS`).
pub fn beijing_date_time(ms: i64) -> Option<(String, String)> {
    let t = local(ms)?;
    Some((
        t.format("%Y/%m/%d").to_string(),
        t.format("%H:%M:%S").to_string(),
    ))
}

/// Beijing time as `yyyyMMddHHmmss` (PayReq's `orderTimeoutDate`).
pub(super) fn beijing_stamp(ms: i64) -> Option<String> {
    Some(local(ms)?.format("%Y%m%d%H%M%S").to_string())
}

/// Reads a wire date (`YYYY/MM/DD`) and time (`HH:MM:SS`) in Beijing time as Unix ms.
pub fn parse_beijing(date: &str, time: &str) -> Option<i64> {
    let date = NaiveDate::parse_from_str(date.trim(), "%Y/%m/%d").ok()?;
    let time = NaiveTime::parse_from_str(time.trim(), "%H:%M:%S").ok()?;
    calendar::from_beijing(NaiveDateTime::new(date, time))
}

/// The bank's accounting date (`YYYY-MM-DD`) of an instant: its Beijing calendar date, or the
/// next one at or after `cutover_hour` (24 = never cut over).
pub fn accounting_date(ms: i64, cutover_hour: u8) -> Option<String> {
    AccountingDate::with_cutover(ms, cutover_hour).map(|date| date.to_string())
}

/// When the host booked a transaction (its HostDate and HostTime, else `fallback_ms`) and the
/// accounting date (`YYYY-MM-DD`) that makes with `cutover_hour`.
pub(super) fn booked(
    host_date: &str,
    host_time: &str,
    fallback_ms: i64,
    cutover_hour: u8,
) -> Option<(i64, String)> {
    let at_ms = parse_beijing(host_date, host_time).unwrap_or(fallback_ms);
    Some((at_ms, accounting_date(at_ms, cutover_hour)?))
}
