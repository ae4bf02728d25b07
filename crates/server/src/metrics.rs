//! The counters this node keeps in memory for its metrics (`http/metrics.rs` renders them,
//! with the backlogs it reads from the store at scrape).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use unipay_store::metrics::Backlogs;

/// One route's request counts, by (method label, status).
pub(crate) type ByMethodAndStatus = BTreeMap<(&'static str, u16), u64>;

#[derive(Default)]
pub struct Metrics {
    /// By route template, then by (method, status): a request of a route already seen is
    /// counted without allocating.
    pub(crate) requests: Mutex<HashMap<String, ByMethodAndStatus>>,
    pub(crate) transitions: Mutex<BTreeMap<String, u64>>,
    backlogs: tokio::sync::Mutex<Option<(i64, Backlogs)>>,
    /// Unauthenticated input refused, by surface and reason (a fixed set of each).
    pub(crate) refusals: Mutex<BTreeMap<(&'static str, &'static str), u64>>,
    /// Password checks (argon2) run for existing console users.
    pub(crate) password_checks: AtomicU64,
}

/// The standard methods by name, anything else as `other`.
pub(crate) fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "CONNECT" => "CONNECT",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

impl Metrics {
    /// Counts a request. `route` must be one of the router's templates (or a fixed name for
    /// none): with the method, it is a label, and labels from the client would let anyone
    /// grow the table without bound.
    pub fn request(&self, method: &str, route: &str, status: u16) {
        let key = (method_label(method), status);
        if let Ok(mut requests) = self.requests.lock() {
            match requests.get_mut(route) {
                Some(counts) => *counts.entry(key).or_default() += 1,
                None => {
                    requests.insert(route.to_string(), BTreeMap::from([(key, 1)]));
                }
            }
        }
    }

    /// The backlogs as last read, when that was at most `max_age_ms` ago; else read again.
    /// Many scrapes at once, or scrapes in a tight loop, cost the database one read.
    pub async fn backlogs<F, E>(&self, now_ms: i64, max_age_ms: i64, read: F) -> Result<Backlogs, E>
    where
        F: Future<Output = Result<Backlogs, E>>,
    {
        let mut kept = self.backlogs.lock().await;
        if let Some((read_at, backlogs)) = kept.as_ref()
            && now_ms.saturating_sub(*read_at) < max_age_ms
            && now_ms >= *read_at
        {
            return Ok(backlogs.clone());
        }
        let fresh = read.await?;
        *kept = Some((now_ms, fresh.clone()));
        Ok(fresh)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_ones_share_one_label() {
        let metrics = Metrics::default();
        for method in ["GET", "BREW", "X-1", "PROPFIND", "GET"] {
            metrics.request(method, "/healthz", 200);
        }
        let requests = metrics.requests.lock().unwrap();
        let labels: Vec<_> = requests["/healthz"]
            .iter()
            .map(|((method, _), count)| (*method, *count))
            .collect();
        assert_eq!(labels, vec![("GET", 2), ("other", 3)]);
    }

    #[tokio::test]
    async fn backlogs_are_read_at_most_once_per_period() {
        let metrics = Metrics::default();
        let reads = std::sync::atomic::AtomicU32::new(0);
        let read = || async {
            reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, ()>(Backlogs::default())
        };
        for now in [1_000, 1_500, 5_999] {
            metrics.backlogs(now, 5_000, read()).await.unwrap();
        }
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 1);
        metrics.backlogs(6_000, 5_000, read()).await.unwrap();
        assert_eq!(reads.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
