//! The random source of the percentage faults: a seeded PRNG, so a run can be repeated.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Draws "does this happen" for percentages. Only a percentage strictly between 0 and 100
/// takes a draw: what the set makes certain (or impossible) leaves the sequence alone.
#[derive(Debug)]
pub struct Chance(StdRng);

impl Chance {
    /// Seeded with `seed`, or from entropy.
    pub fn new(seed: Option<u64>) -> Chance {
        Chance(StdRng::seed_from_u64(seed.unwrap_or_else(rand::random)))
    }

    /// Whether an event of `pct` percent happens this time; absent is 0.
    pub fn happens(&mut self, pct: Option<u32>) -> bool {
        match pct.unwrap_or(0) {
            0 => false,
            pct if pct >= 100 => true,
            pct => self.0.random_range(0..100u32) < pct,
        }
    }
}
