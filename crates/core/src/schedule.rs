//! Retry schedules: a list of delays, the n-th attempt waits the n-th delay. Bounded by length.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Schedule {
    delays_ms: Vec<i64>,
}

impl Schedule {
    pub fn from_ms(delays_ms: Vec<i64>) -> Schedule {
        Schedule { delays_ms }
    }

    pub fn from_secs(delays_s: &[i64]) -> Schedule {
        Schedule {
            delays_ms: delays_s.iter().map(|s| s * 1000).collect(),
        }
    }

    /// DESIGN.md's schedule for business notifications: 0 s, 15 s, 30 s, 3 min, 10 min,
    /// 30 min, 1 h, 3 h, 6 h, 12 h, 24 h; then the event is dead-lettered.
    pub fn business_notifications() -> Schedule {
        Schedule::from_secs(&[
            0, 15, 30, 180, 600, 1800, 3600, 10_800, 21_600, 43_200, 86_400,
        ])
    }

    /// Janitor queries for a payment with no result: soon at first, then ever more slowly,
    /// and the last delay repeats until the payment is final.
    pub fn janitor_queries() -> Schedule {
        Schedule::from_secs(&[60, 120, 300, 600, 1800, 3600])
    }

    /// The delay before attempt `attempt` (0-based), or `None` when the schedule is used up.
    pub fn delay_ms(&self, attempt: usize) -> Option<i64> {
        self.delays_ms.get(attempt).copied()
    }

    /// The delay before attempt `attempt`, repeating the last delay once the list is used up.
    pub fn delay_ms_repeating(&self, attempt: usize) -> i64 {
        self.delays_ms
            .get(attempt)
            .or(self.delays_ms.last())
            .copied()
            .unwrap_or(60_000)
    }

    /// When to try again after `attempts_made` attempts failed (the first attempt is due at
    /// once): `None` when the schedule is used up.
    pub fn retry_at(&self, now_ms: i64, attempts_made: i64) -> Option<i64> {
        let step = usize::try_from(attempts_made).ok()?;
        self.delay_ms(step).map(|delay| now_ms + delay)
    }

    /// When to ask the bank about an open payment again, after `queries_made` queries: the
    /// schedule's next step (its last step repeating), but no later than the payment's expiry
    /// while it has not expired, so that it is closed as soon as it may be.
    pub fn next_query_at(&self, now_ms: i64, queries_made: i64, expires_at_ms: i64) -> i64 {
        let step = usize::try_from(queries_made).unwrap_or(usize::MAX);
        let next = now_ms + self.delay_ms_repeating(step);
        if now_ms < expires_at_ms {
            next.min(expires_at_ms)
        } else {
            next
        }
    }

    pub fn delays_ms(&self) -> &[i64] {
        &self.delays_ms
    }

    pub fn len(&self) -> usize {
        self.delays_ms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.delays_ms.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_are_bounded_or_repeat_their_last_step() {
        let notifications = Schedule::business_notifications();
        assert_eq!(notifications.len(), 11);
        assert_eq!(notifications.delay_ms(0), Some(0));
        assert_eq!(notifications.delay_ms(11), None);
        let janitor = Schedule::janitor_queries();
        assert_eq!(janitor.delay_ms_repeating(100), 3_600_000);
    }

    /// Proves retries follow the schedule from the moment of the failure and then give up.
    #[test]
    fn retries_are_timed_from_the_failure_and_end() {
        let schedule = Schedule::from_secs(&[0, 15, 30]);
        assert_eq!(schedule.retry_at(1_000, 1), Some(16_000));
        assert_eq!(schedule.retry_at(1_000, 2), Some(31_000));
        assert_eq!(schedule.retry_at(1_000, 3), None);
        assert_eq!(schedule.retry_at(1_000, -1), None);
    }

    /// Proves queries back off, repeat their last step, and never pass the expiry of a payment
    /// that has not expired yet.
    #[test]
    fn queries_back_off_but_meet_the_expiry() {
        let schedule = Schedule::from_secs(&[60, 120, 300]);
        let far = i64::MAX;
        assert_eq!(schedule.next_query_at(0, 1, far), 120_000);
        assert_eq!(schedule.next_query_at(0, 9, far), 300_000);
        assert_eq!(
            schedule.next_query_at(0, 0, 30_000),
            30_000,
            "expiry comes first"
        );
        assert_eq!(
            schedule.next_query_at(50_000, 0, 30_000),
            110_000,
            "already expired"
        );
    }
}
