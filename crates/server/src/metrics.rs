//! The counters this node keeps in memory for its metrics (`http/metrics.rs` renders them,
//! with the backlogs it reads from the store at scrape).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    pub(crate) requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    pub(crate) transitions: Mutex<BTreeMap<String, u64>>,
    /// Unauthenticated input refused, by surface and reason (a fixed set of each).
    pub(crate) refusals: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Password checks (argon2) run for existing console users.
    pub(crate) password_checks: AtomicU64,
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
    }

    /// One unauthenticated input refused on `surface` (`callback`, `signin`, `cashier_kcode`)
    /// for `reason` (`rate_limited`, `unverified`, ...), written down or not.
    pub fn refused(&self, surface: &'static str, reason: &'static str) {
        if let Ok(mut refusals) = self.refusals.lock() {
            *refusals.entry((surface, reason)).or_default() += 1;
        }
    }

    pub fn password_checked(&self) {
        self.password_checks.fetch_add(1, Ordering::Relaxed);
    }

    pub fn payment_reached(&self, status: &str) {
        if let Ok(mut transitions) = self.transitions.lock() {
            *transitions.entry(status.to_string()).or_default() += 1;
        }
    }
}
