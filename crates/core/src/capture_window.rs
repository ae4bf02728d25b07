//! How long a pre-authorization's hold waits for its capture. A bank that limits it
//! ([`crate::channel::Channel::capture_window_days`]: UnionPay's completion, within 30 days of
//! the hold) refuses a later capture, so unipay refuses it first, before the bank is asked.

/// One day in milliseconds.
const DAY_MS: i64 = 86_400_000;

/// Whether a capture at `now_ms` comes too late for a hold made at `held_at_ms` under a
/// window of `days` days: the whole last day still counts, a moment after it does not.
pub fn capture_window_passed(held_at_ms: i64, now_ms: i64, days: u32) -> bool {
    now_ms.saturating_sub(held_at_ms) > i64::from(days).saturating_mul(DAY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELD: i64 = 1_767_225_600_000;

    #[test]
    fn thirty_days_to_the_millisecond_and_no_more() {
        assert!(!capture_window_passed(HELD, HELD, 30));
        assert!(!capture_window_passed(HELD, HELD + 29 * DAY_MS, 30));
        assert!(!capture_window_passed(HELD, HELD + 30 * DAY_MS, 30));
        assert!(capture_window_passed(HELD, HELD + 30 * DAY_MS + 1, 30));
        assert!(capture_window_passed(HELD, HELD + 31 * DAY_MS, 30));
    }

    #[test]
    fn a_clock_behind_the_hold_is_within_the_window() {
        assert!(!capture_window_passed(HELD, HELD - DAY_MS, 30));
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        assert!(capture_window_passed(i64::MIN, i64::MAX, 30));
        assert!(!capture_window_passed(i64::MAX, i64::MIN, u32::MAX));
    }
}
