//! What a run measured: per-payment latencies, split by step, and the counters.

use std::time::{Duration, Instant};

/// The steps of one complete payment, in order.
pub const STEPS: [&str; 4] = ["create", "cashier", "bank_pay", "notify_wait"];

/// One completed payment: the time each step took, in microseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    pub steps_us: [u64; 4],
}

impl Sample {
    pub fn total_us(&self) -> u64 {
        self.steps_us.iter().sum()
    }
}

/// Why a payment did not complete.
#[derive(Debug)]
pub enum Failure {
    /// A step before the bank accepted the payment failed: nothing was owed a notification.
    Step(&'static str, String),
    /// The bank accepted the payment but no `payment.succeeded` came in time.
    Lost { payment_id: String },
}

#[derive(Default)]
pub struct Tally {
    pub samples: Vec<Sample>,
    pub failed: u64,
    pub first_failures: Vec<String>,
    pub lost_ids: Vec<String>,
    pub last_completed_at: Option<Instant>,
}

const KEPT_FAILURES: usize = 5;

impl Tally {
    pub fn record(&mut self, result: Result<Sample, Failure>) {
        match result {
            Ok(sample) => {
                self.samples.push(sample);
                self.last_completed_at = Some(Instant::now());
            }
            Err(Failure::Step(step, message)) => {
                self.failed += 1;
                if self.first_failures.len() < KEPT_FAILURES {
                    self.first_failures.push(format!("{step}: {message}"));
                }
            }
            Err(Failure::Lost { payment_id }) => self.lost_ids.push(payment_id),
        }
    }
}

/// The value below which `q` (0..=1) of the sorted values lie (nearest rank).
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

/// One line per step: mean, p50 and p99 in milliseconds, and its share of the mean total.
pub fn step_breakdown(samples: &[Sample]) -> Vec<String> {
    let per_step = (0..STEPS.len())
        .map(|i| samples.iter().map(|s| s.steps_us[i]).collect())
        .collect();
    breakdown(&STEPS, per_step)
}

/// [`step_breakdown`] of any steps: `per_step[i]` holds every sample's time in step `i`.
pub fn breakdown(names: &[&str], per_step: Vec<Vec<u64>>) -> Vec<String> {
    let Some(samples) = per_step.first().map(Vec::len).filter(|n| *n > 0) else {
        return Vec::new();
    };
    let means: Vec<f64> = per_step
        .iter()
        .map(|values| values.iter().map(|&v| v as f64).sum::<f64>() / samples as f64)
        .collect();
    let total_mean: f64 = means.iter().sum();
    names
        .iter()
        .zip(per_step)
        .zip(means)
        .map(|((name, mut values), mean)| {
            values.sort_unstable();
            format!(
                "step {name:<12} mean_ms={:.2} p50_ms={:.2} p99_ms={:.2} share={:.0}%",
                mean / 1000.0,
                ms(percentile(&values, 0.50)),
                ms(percentile(&values, 0.99)),
                if total_mean > 0.0 {
                    100.0 * mean / total_mean
                } else {
                    0.0
                },
            )
        })
        .collect()
}

pub fn seconds(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.50), 50);
        assert_eq!(percentile(&values, 0.99), 99);
        assert_eq!(percentile(&[7], 0.99), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }
}
