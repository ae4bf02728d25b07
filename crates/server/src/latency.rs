//! Latency histograms for `/metrics`: request duration by route template, bank call duration by
//! transaction type, business notification delivery latency. Prometheus histograms with one
//! fixed set of buckets, and labels only from fixed sets (the router's templates, the methods,
//! the bank calls), so that no client can grow them.
//!
//! Kept apart from the counters (`metrics.rs`): an observation is a few relaxed atomic adds,
//! taken on every request and every bank call.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds: from a cached answer (1 ms) to a bank timeout.
pub const BUCKETS_S: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The calls a channel makes to its bank, each a label of `unipay_bank_call_duration_seconds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BankCall {
    RequestPayment,
    QueryPayment,
    Refund,
    QueryRefund,
    BatchRefund,
    QueryBatchRefund,
    Preauth,
    FetchStatement,
    QueryTransactions,
}

impl BankCall {
    pub const ALL: [BankCall; 9] = [
        BankCall::RequestPayment,
        BankCall::QueryPayment,
        BankCall::Refund,
        BankCall::QueryRefund,
        BankCall::BatchRefund,
        BankCall::QueryBatchRefund,
        BankCall::Preauth,
        BankCall::FetchStatement,
        BankCall::QueryTransactions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            BankCall::RequestPayment => "request_payment",
            BankCall::QueryPayment => "query_payment",
            BankCall::Refund => "refund",
            BankCall::QueryRefund => "query_refund",
            BankCall::BatchRefund => "batch_refund",
            BankCall::QueryBatchRefund => "query_batch_refund",
            BankCall::Preauth => "preauth",
            BankCall::FetchStatement => "fetch_statement",
            BankCall::QueryTransactions => "query_transactions",
        }
    }
}

/// One histogram: a count per bucket (not cumulative; summed when rendered), the total count
/// and the sum in microseconds.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS_S.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS_S
            .iter()
            .position(|bound| seconds <= *bound)
            .and_then(|at| self.buckets.get(at))
        {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// The `_bucket`, `_sum` and `_count` lines of `name` with `labels` (`a="b",…`, or empty).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS_S.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// One route's histograms, by method label.
type ByMethod = Vec<(&'static str, Arc<Histogram>)>;

/// Every latency histogram of this node.
#[derive(Default)]
pub struct Latencies {
    /// By route template (the router's fixed set), then method: a request of a route and
    /// method already seen is timed without allocating.
    requests: RwLock<HashMap<String, ByMethod>>,
    bank_calls: [Histogram; BankCall::ALL.len()],
    /// From the event's creation to the business system's acknowledgement.
    delivery: Histogram,
}

impl Latencies {
    /// A request answered in `elapsed`. `route` must be a router template (or a fixed name for
    /// none), never a path.
    pub fn request(&self, method: &'static str, route: &str, elapsed: Duration) {
        let of_method = |histograms: &ByMethod| {
            histograms
                .iter()
                .find(|(m, _)| *m == method)
                .map(|(_, histogram)| histogram.clone())
        };
        let found = self
            .requests
            .read()
            .ok()
            .and_then(|requests| requests.get(route).and_then(of_method));
        let histogram = match found {
            Some(histogram) => histogram,
            None => match self.requests.write() {
                Ok(mut requests) => {
                    let histograms = requests.entry(route.to_string()).or_default();
                    match of_method(histograms) {
                        Some(histogram) => histogram,
                        None => {
                            let histogram = Arc::new(Histogram::default());
                            histograms.push((method, histogram.clone()));
                            histogram
                        }
                    }
                }
                Err(_) => return,
            },
        };
        histogram.observe(elapsed);
    }

    pub fn bank_call(&self, call: BankCall, elapsed: Duration) {
        if let Some(at) = BankCall::ALL.iter().position(|c| *c == call)
            && let Some(histogram) = self.bank_calls.get(at)
        {
            histogram.observe(elapsed);
        }
    }

    /// A notification acknowledged `elapsed` after its event was made.
    pub fn delivered(&self, elapsed: Duration) {
        self.delivery.observe(elapsed);
    }

    /// The three histograms in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        let name = "unipay_http_request_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from a request's arrival to its answer, by method and route template.\n# TYPE {name} histogram"
        );
        if let Ok(requests) = self.requests.read() {
            let mut series: Vec<_> = requests
                .iter()
                .flat_map(|(route, histograms)| {
                    histograms
                        .iter()
                        .map(move |(method, h)| (route, *method, h))
                })
                .collect();
            series.sort_unstable_by_key(|(route, method, _)| (*route, *method));
            for (route, method, histogram) in series {
                let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
                histogram.render(out, name, &labels);
            }
        }
        let name = "unipay_bank_call_duration_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time a call to the bank took, by transaction type (answers, refusals and failures alike).\n# TYPE {name} histogram"
        );
        for (call, histogram) in BankCall::ALL.iter().zip(&self.bank_calls) {
            histogram.render(out, name, &format!("call=\"{}\"", call.as_str()));
        }
        let name = "unipay_notification_delivery_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from a business notification's event to the business system's acknowledgement.\n# TYPE {name} histogram"
        );
        self.delivery.render(out, name, "");
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_renders_cumulative_buckets_sum_and_count() {
        let latencies = Latencies::default();
        latencies.request("POST", "/v1/payments", Duration::from_micros(800));
        latencies.request("POST", "/v1/payments", Duration::from_millis(7));
        latencies.request("POST", "/v1/payments", Duration::from_secs(60));
        let mut out = String::new();
        latencies.render(&mut out);
        let route = "method=\"POST\",route=\"/v1/payments\"";
        let line = |suffix: &str| {
            let prefix = format!("unipay_http_request_duration_seconds{suffix}");
            out.lines()
                .find(|l| l.starts_with(&prefix))
                .map(str::to_string)
                .unwrap_or_default()
        };
        assert_eq!(
            line(&format!("_bucket{{{route},le=\"0.001\"}}")),
            format!("unipay_http_request_duration_seconds_bucket{{{route},le=\"0.001\"}} 1")
        );
        assert!(
            line(&format!("_bucket{{{route},le=\"0.01\"}}")).ends_with(" 2"),
            "{out}"
        );
        assert!(
            line(&format!("_bucket{{{route},le=\"30\"}}")).ends_with(" 2"),
            "{out}"
        );
        assert!(
            line(&format!("_bucket{{{route},le=\"+Inf\"}}")).ends_with(" 3"),
            "{out}"
        );
        assert!(line(&format!("_count{{{route}}}")).ends_with(" 3"), "{out}");
        assert!(
            line(&format!("_sum{{{route}}}")).ends_with(" 60.0078"),
            "{out}"
        );
    }

    #[test]
    fn every_bank_call_and_the_delivery_have_their_series_from_the_start() {
        let latencies = Latencies::default();
        latencies.bank_call(BankCall::QueryPayment, Duration::from_millis(3));
        latencies.delivered(Duration::from_millis(20));
        let mut out = String::new();
        latencies.render(&mut out);
        for call in BankCall::ALL {
            let count = format!(
                "unipay_bank_call_duration_seconds_count{{call=\"{}\"}} ",
                call.as_str()
            );
            assert!(out.contains(&count), "{call:?}: {out}");
        }
        assert!(out.contains("unipay_bank_call_duration_seconds_count{call=\"query_payment\"} 1"));
        assert!(out.contains("unipay_notification_delivery_seconds_count 1"));
        assert!(out.contains("unipay_notification_delivery_seconds_bucket{le=\"0.025\"} 1"));
    }
}
