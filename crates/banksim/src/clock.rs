//! The bank's wall clock (Asia/Shanghai, a fixed UTC+8: China has no daylight saving time), its
//! accounting date, and the serial numbers it stamps on payments.

use chrono::{DateTime, Days, FixedOffset, NaiveDate, Offset, Timelike, Utc};
use std::sync::atomic::{AtomicU64, Ordering};

/// UTC+8.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| Utc.fix())
}

pub fn now_china() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&china_offset())
}

/// The same clock as Unix milliseconds, the unit of the sim API's times.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// The accounting date (会计日期) of a transaction made at `at` (UTC+8 wall time): from
/// `cutover_hour` on, the host has already moved to the next day. This is what makes the
/// statement of day D hold payments the merchant saw on D-1.
pub fn accounting_date(at: DateTime<FixedOffset>, cutover_hour: u8) -> NaiveDate {
    let local = at.with_timezone(&china_offset());
    let date = local.date_naive();
    if local.hour() >= u32::from(cutover_hour) {
        date.checked_add_days(Days::new(1)).unwrap_or(date)
    } else {
        date
    }
}

/// `YYYY/MM/DD`, the protocol's date format.
pub fn protocol_date(date: NaiveDate) -> String {
    date.format("%Y/%m/%d").to_string()
}

/// `HH:MM:SS`, the protocol's time format.
pub fn protocol_time(at: DateTime<FixedOffset>) -> String {
    at.format("%H:%M:%S").to_string()
}

/// Serial numbers unique within one run of the simulator: a random prefix per run (so two runs
/// do not hand out the same iRspRef) and a counter.
pub struct Serials {
    prefix: u16,
    next: AtomicU64,
}

impl Serials {
    pub fn new() -> Serials {
        Serials {
            prefix: rand::random(),
            next: AtomicU64::new(1),
        }
    }

    fn take(&self) -> u64 {
        self.next.fetch_add(1, Ordering::Relaxed)
    }

    /// A bank serial (iRspRef): 12 upper-case hex digits, like the real ones.
    pub fn bank_serial(&self) -> String {
        format!("{:04X}{:08X}", self.prefix, self.take() & 0xFFFF_FFFF)
    }

    /// A voucher number: 6 digits.
    pub fn voucher(&self) -> String {
        format!("{:06}", self.take() % 1_000_000)
    }
}

impl Default for Serials {
    fn default() -> Self {
        Serials::new()
    }
}

/// An unguessable payment-page token (128 random bits as hex).
pub fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<FixedOffset> {
        china_offset()
            .with_ymd_and_hms(2026, 11, 27, h, m, 0)
            .unwrap()
    }

    #[test]
    fn cuts_over_at_the_configured_hour() {
        let d = |y, mo, da| NaiveDate::from_ymd_opt(y, mo, da).unwrap();
        assert_eq!(accounting_date(at(22, 59), 23), d(2026, 11, 27));
        assert_eq!(accounting_date(at(23, 0), 23), d(2026, 11, 28));
        assert_eq!(accounting_date(at(0, 30), 23), d(2026, 11, 27));
        // An instant given in UTC is judged by its UTC+8 wall time.
        let utc = Utc
            .with_ymd_and_hms(2026, 11, 27, 15, 30, 0)
            .unwrap()
            .fixed_offset();
        assert_eq!(accounting_date(utc, 23), d(2026, 11, 28));
        assert_eq!(protocol_date(d(2026, 1, 2)), "2026/01/02");
    }

    #[test]
    fn serials_are_distinct() {
        let serials = Serials::new();
        let a = serials.bank_serial();
        let b = serials.bank_serial();
        assert_ne!(a, b);
        assert_eq!(a.len(), 12);
        assert_eq!(serials.voucher().len(), 6);
        assert_eq!(new_token().len(), 32);
    }
}
