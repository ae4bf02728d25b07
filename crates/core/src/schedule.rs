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
}
