//! The counters this node keeps in memory for its metrics (`http/metrics.rs` renders them,
//! with the backlogs it reads from the store at scrape).

use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
pub struct Metrics {
    pub(crate) requests: Mutex<BTreeMap<(String, String, u16), u64>>,
    pub(crate) transitions: Mutex<BTreeMap<String, u64>>,
}

impl Metrics {
    pub fn request(&self, method: &str, route: &str, status: u16) {
        if let Ok(mut requests) = self.requests.lock() {
            *requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
        }
    }

    pub fn payment_reached(&self, status: &str) {
        if let Ok(mut transitions) = self.transitions.lock() {
            *transitions.entry(status.to_string()).or_default() += 1;
        }
    }
}
