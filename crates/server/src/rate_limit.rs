//! Rate limits by source, for the surfaces anyone may reach without credentials (console
//! sign-in, the bank's callbacks, the cashier's K-code bills) and for the merchant API's
//! costliest call (the bank's records, per app), and the sampling of what the unauthenticated
//! surfaces keep of the input they refuse. One primitive, [`KeyedLimiter`]: a generic cell
//! rate (GCRA) per key, in memory, per node.

use crate::config::ServerConfig;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// This node's limits, made from the settings once.
pub struct Limits {
    pub signins_per_source: KeyedLimiter,
    pub signins: KeyedLimiter,
    /// Places in the password-check queue (waiting or running); none free: 429.
    pub password_check_queue: tokio::sync::Semaphore,
    pub callbacks_per_source: KeyedLimiter,
    pub kcode_bills_per_source: KeyedLimiter,
    /// `GET /v1/channel-transactions` per app: each call makes the bank send, and this node
    /// read, a file of many megabytes.
    pub channel_transactions_per_app: KeyedLimiter,
    /// Which refused unauthenticated inputs are written down.
    pub refused_samples: Sampler,
}

impl Limits {
    pub fn new(config: &ServerConfig) -> Limits {
        let queue = usize::try_from(config.console.password_check_queue.max(1)).unwrap_or(1);
        Limits {
            signins_per_source: KeyedLimiter::per_minute(
                config.console.signins_per_source_per_minute,
            ),
            signins: KeyedLimiter::per_minute(config.console.signins_per_minute),
            password_check_queue: tokio::sync::Semaphore::new(queue),
            callbacks_per_source: KeyedLimiter::per_minute(
                config.inbound.callbacks_per_source_per_minute,
            ),
            kcode_bills_per_source: KeyedLimiter::per_minute(
                config.kcode.cashier_bills_per_source_per_minute,
            ),
            channel_transactions_per_app: KeyedLimiter::per_minute(
                config.api.channel_transactions_per_minute,
            ),
            refused_samples: Sampler::per_minute(config.inbound.refused_samples_per_minute),
        }
    }
}

/// The most keys a limiter tracks: a flood from many sources cannot grow it without bound.
const MAX_KEYS: usize = 100_000;

/// Allows each key `per_window` events per `window`, all of them at once at most (the burst is
/// one window's worth), and refuses the rest until the window's share has passed.
pub struct KeyedLimiter {
    /// Time between two events at the steady rate; zero: no limit.
    interval: Duration,
    /// How far ahead of now a key's theoretical arrival time may run: `per_window - 1` intervals.
    tolerance: Duration,
    arrivals: Mutex<HashMap<String, Instant>>,
}

impl KeyedLimiter {
    /// `per_window == 0` allows everything (the limit is off).
    pub fn new(per_window: u32, window: Duration) -> KeyedLimiter {
        let interval = match per_window {
            0 => Duration::ZERO,
            n => window / n,
        };
        KeyedLimiter {
            interval,
            tolerance: interval.saturating_mul(per_window.saturating_sub(1)),
            arrivals: Mutex::new(HashMap::new()),
        }
    }

    pub fn per_minute(per_minute: u32) -> KeyedLimiter {
        KeyedLimiter::new(per_minute, Duration::from_secs(60))
    }

    /// Whether one more event from `key` is allowed now; an allowed event is counted.
    pub fn allow(&self, key: &str) -> bool {
        self.allow_at(key, Instant::now())
    }

    fn allow_at(&self, key: &str, now: Instant) -> bool {
        if self.interval.is_zero() {
            return true;
        }
        // A poisoned lock means a panic elsewhere; refusing is the safe side.
        let Ok(mut arrivals) = self.arrivals.lock() else {
            return false;
        };
        if arrivals.len() >= MAX_KEYS && !arrivals.contains_key(key) {
            arrivals.retain(|_, tat| *tat > now);
            if arrivals.len() >= MAX_KEYS {
                // Every tracked source is busy: a new one waits rather than evicting them.
                return false;
            }
        }
        let tat = arrivals.get(key).copied().unwrap_or(now).max(now);
        if tat.saturating_duration_since(now) > self.tolerance {
            return false;
        }
        arrivals.insert(key.to_string(), tat + self.interval);
        true
    }
}

/// Decides which refused, unauthenticated inputs are written down: a few per source per
/// minute, and a few times that across all sources, so that a flood leaves a bounded number
/// of rows while the first ones from every source (the evidence) are kept. The rest are
/// only counted (`metrics.rs`).
pub struct Sampler {
    per_source: KeyedLimiter,
    overall: KeyedLimiter,
}

/// Sources whose samples together may be kept per minute, as a multiple of one source's.
const SAMPLED_SOURCES_PER_MINUTE: u32 = 10;

impl Sampler {
    pub fn per_minute(per_source: u32) -> Sampler {
        Sampler {
            per_source: KeyedLimiter::per_minute(per_source),
            overall: KeyedLimiter::per_minute(
                per_source.saturating_mul(SAMPLED_SOURCES_PER_MINUTE),
            ),
        }
    }

    /// Whether to keep this one, refused on `surface` from `source`.
    pub fn keep(&self, surface: &str, source: &str) -> bool {
        self.per_source.allow(&format!("{surface}\n{source}")) && self.overall.allow(surface)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_s_worth_at_once_then_one_per_interval() {
        let limiter = KeyedLimiter::new(3, Duration::from_secs(3));
        let start = Instant::now();
        assert!(limiter.allow_at("a", start));
        assert!(limiter.allow_at("a", start));
        assert!(limiter.allow_at("a", start));
        assert!(!limiter.allow_at("a", start), "the burst is used up");
        assert!(
            limiter.allow_at("b", start),
            "other sources are not affected"
        );
        let later = start + Duration::from_millis(1_001);
        assert!(limiter.allow_at("a", later), "one interval later, one more");
        assert!(!limiter.allow_at("a", later));
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = KeyedLimiter::per_minute(0);
        assert!((0..10_000).all(|_| limiter.allow("a")));
    }

    #[test]
    fn the_sampler_keeps_a_few_per_source_and_a_few_more_overall() {
        let sampler = Sampler::per_minute(2);
        let kept = (0..100)
            .filter(|_| sampler.keep("callback", "10.0.0.1"))
            .count();
        assert_eq!(kept, 2);
        let from_many = (0..1_000)
            .filter(|n| sampler.keep("callback", &format!("10.1.{}.{}", n / 256, n % 256)))
            .count();
        assert_eq!(from_many, 18, "the overall cap, less the two already kept");
        assert!(
            sampler.keep("signin", "10.0.0.1"),
            "surfaces are counted apart"
        );
    }
}
