//! The platform's calendar. The bank counts days in Beijing time (UTC+8, no daylight saving):
//! an accounting date is a Beijing calendar date, a day starts at Beijing midnight, and a bank
//! may book what happens after its cut-over hour on the next date. Every date the platform
//! derives from an instant goes through here, so that no two places can disagree about which
//! day a payment belongs to.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike};
use std::fmt;

/// Beijing time's offset from UTC.
pub const UTC_OFFSET_MS: i64 = 8 * 3_600_000;
/// One calendar day; Beijing time has no daylight saving, so every day is this long.
pub const DAY_MS: i64 = 86_400_000;

/// How dates are written in the database, the API and the files: `YYYY-MM-DD`.
const FORMAT: &str = "%Y-%m-%d";

/// The Beijing wall-clock time of an instant (Unix ms); `None` out of chrono's range.
pub fn beijing(ms: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_millis(ms.checked_add(UTC_OFFSET_MS)?).map(|t| t.naive_utc())
}

/// The instant (Unix ms) of a Beijing wall-clock time.
pub fn from_beijing(local: NaiveDateTime) -> Option<i64> {
    local
        .and_utc()
        .timestamp_millis()
        .checked_sub(UTC_OFFSET_MS)
}

/// A Beijing calendar date: the day a payment, a refund or a settlement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountingDate(NaiveDate);

impl AccountingDate {
    /// Reads `YYYY-MM-DD` as chrono reads it, which also takes unpadded fields (`2026-1-7`).
    pub fn parse(text: &str) -> Option<AccountingDate> {
        NaiveDate::parse_from_str(text, FORMAT)
            .ok()
            .map(AccountingDate)
    }

    /// Reads exactly `YYYY-MM-DD`: what chrono reads loosely (`2026-1-07`) would never match a
    /// stored accounting date, so input that is compared with stored dates is read this way.
    pub fn parse_exact(text: &str) -> Option<AccountingDate> {
        AccountingDate::parse(text).filter(|date| date.to_string() == text)
    }

    /// The Beijing calendar date of an instant: the accounting date when the bank gave none.
    pub fn of_instant(ms: i64) -> Option<AccountingDate> {
        beijing(ms).map(|t| AccountingDate(t.date()))
    }

    /// The bank's accounting date of an instant: its Beijing date, or the next one at or after
    /// `cutover_hour` (24 or more: never cut over).
    pub fn with_cutover(ms: i64, cutover_hour: u8) -> Option<AccountingDate> {
        let t = beijing(ms)?;
        let mut date = t.date();
        if u32::from(cutover_hour) < 24 && t.hour() >= u32::from(cutover_hour) {
            date = date.succ_opt()?;
        }
        Some(AccountingDate(date))
    }

    /// The date `days` later (earlier when negative).
    pub fn add_days(self, days: i64) -> Option<AccountingDate> {
        self.0
            .checked_add_signed(Duration::try_days(days)?)
            .map(AccountingDate)
    }

    /// The instant (Unix ms) the day starts: Beijing midnight.
    pub fn start_ms(self) -> Option<i64> {
        from_beijing(self.0.and_hms_opt(0, 0, 0)?)
    }
}

impl fmt::Display for AccountingDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format(FORMAT))
    }
}

/// `YYYY-MM-DD` plus `days`; `None` when `date` is not a date.
pub fn add_days(date: &str, days: i64) -> Option<String> {
    Some(AccountingDate::parse(date)?.add_days(days)?.to_string())
}

/// Whether `date` is exactly a real `YYYY-MM-DD` date.
pub fn is_date(date: &str) -> bool {
    AccountingDate::parse_exact(date).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-27 09:47:44 in Beijing.
    const MORNING_MS: i64 = 1_795_744_064_000;

    #[test]
    fn days_are_beijing_days() {
        let date = AccountingDate::of_instant(MORNING_MS).map(|d| d.to_string());
        assert_eq!(date.as_deref(), Some("2026-11-27"));
        // 16:00 UTC is Beijing midnight: the next day.
        let day = AccountingDate::parse("2026-11-27").and_then(AccountingDate::start_ms);
        assert_eq!(day.map(|ms| ms % DAY_MS), Some(DAY_MS - UTC_OFFSET_MS));
        let start = day.unwrap_or_default();
        assert_eq!(
            AccountingDate::of_instant(start).map(|d| d.to_string()),
            Some("2026-11-27".to_string())
        );
        assert_eq!(
            AccountingDate::of_instant(start - 1).map(|d| d.to_string()),
            Some("2026-11-26".to_string())
        );
    }

    #[test]
    fn the_cutover_hour_moves_late_instants_to_the_next_date() {
        let at = |hour: u8| AccountingDate::with_cutover(MORNING_MS, hour).map(|d| d.to_string());
        assert_eq!(at(24).as_deref(), Some("2026-11-27"));
        assert_eq!(at(10).as_deref(), Some("2026-11-27"));
        assert_eq!(at(9).as_deref(), Some("2026-11-28"));
        assert_eq!(at(0).as_deref(), Some("2026-11-28"));
    }

    #[test]
    fn wall_clock_round_trips() {
        let local = beijing(MORNING_MS);
        assert_eq!(
            local.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string()),
            Some("2026-11-27 09:47:44".to_string())
        );
        assert_eq!(local.and_then(from_beijing), Some(MORNING_MS));
        assert_eq!(beijing(i64::MAX), None);
    }

    #[test]
    fn dates_add_and_read() {
        assert_eq!(add_days("2026-12-31", 1).as_deref(), Some("2027-01-01"));
        assert_eq!(add_days("2028-02-28", 1).as_deref(), Some("2028-02-29"));
        assert_eq!(add_days("2026-03-01", -1).as_deref(), Some("2026-02-28"));
        assert_eq!(add_days("2026-13-01", 1), None);
        assert!(is_date("2026-11-27"));
        assert!(!is_date("2026-11-7"));
        assert!(!is_date("2026/11/27"));
        assert!(AccountingDate::parse("2026-1-07").is_some());
    }
}
