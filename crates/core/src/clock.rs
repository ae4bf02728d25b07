//! Time comes from a clock so that tests can move it instead of sleeping.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Milliseconds since the Unix epoch. Stored as a plain integer everywhere (both databases,
/// every message) so that comparisons and arithmetic are exact and portable.
pub type UnixMs = i64;

pub trait Clock: Send + Sync + 'static {
    fn now_ms(&self) -> UnixMs;

    fn now_s(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> UnixMs {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now_ms: Arc<AtomicI64>,
}

impl ManualClock {
    pub fn new(start_ms: UnixMs) -> ManualClock {
        ManualClock {
            now_ms: Arc::new(AtomicI64::new(start_ms)),
        }
    }

    pub fn advance_ms(&self, delta_ms: i64) {
        self.now_ms.fetch_add(delta_ms, Ordering::SeqCst);
    }

    pub fn set_ms(&self, now_ms: UnixMs) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> UnixMs {
        self.now_ms.load(Ordering::SeqCst)
    }
}

/// The system clock moved ahead by an offset that only grows: time flows as usual, and a test
/// can jump it forward (a session's idle time, a resend interval) instead of sleeping through it.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset_ms: Arc<AtomicI64>,
}

impl OffsetClock {
    /// Moves the clock `delta_ms` ahead (never back: what ran out must stay run out). Returns
    /// the whole offset.
    pub fn advance_ms(&self, delta_ms: u32) -> i64 {
        self.offset_ms
            .fetch_add(i64::from(delta_ms), Ordering::SeqCst)
            .saturating_add(i64::from(delta_ms))
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst)
    }
}

impl Clock for OffsetClock {
    fn now_ms(&self) -> UnixMs {
        SystemClock.now_ms().saturating_add(self.offset_ms())
    }
}

/// RFC 3339 text in UTC with milliseconds, the one form unipay writes timestamps in.
pub fn rfc3339(ms: UnixMs) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves a manual clock stands still until moved, and writes RFC 3339 in UTC.
    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::new(1_800_000_000_123);
        assert_eq!(clock.now_s(), 1_800_000_000);
        clock.advance_ms(1_000);
        assert_eq!(clock.now_ms(), 1_800_000_001_123);
        clock.set_ms(0);
        assert_eq!(rfc3339(clock.now_ms()), "1970-01-01T00:00:00.000Z");
    }

    /// Proves an offset clock runs with the system clock and jumps ahead by what it is told.
    #[test]
    fn offset_clock_jumps_ahead() {
        let clock = OffsetClock::default();
        let before = SystemClock.now_ms();
        assert!(clock.now_ms() >= before);
        assert_eq!(clock.advance_ms(60_000), 60_000);
        assert_eq!(clock.advance_ms(500), 60_500);
        let shared = clock.clone();
        assert_eq!(shared.offset_ms(), 60_500, "clones share the offset");
        assert!(shared.now_ms() >= before + 60_500);
    }
}
