//! How often an app may ask the bank for its records (`GET /v1/channel-transactions`): each
//! call makes the bank send, and this node read, a file of many megabytes, so a tight loop of
//! them would tie up the channel account and the node. A token bucket per app, on this node.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Per app: the tokens left and when they were last counted (ms).
static BUCKETS: LazyLock<Mutex<HashMap<String, (f64, i64)>>> = LazyLock::new(Mutex::default);

/// Takes one call's token for `app_id`, with `per_minute` calls a minute and as many at once;
/// `Err` says in how many seconds the next one may be made.
pub fn take(app_id: &str, per_minute: u32, now_ms: i64) -> Result<(), u64> {
    let capacity = f64::from(per_minute.max(1));
    let per_ms = capacity / 60_000.0;
    let Ok(mut buckets) = BUCKETS.lock() else {
        return Ok(());
    };
    let (tokens, counted_at) = buckets
        .entry(app_id.to_string())
        .or_insert((capacity, now_ms));
    let elapsed = now_ms.saturating_sub(*counted_at).max(0) as f64;
    *tokens = (*tokens + elapsed * per_ms).min(capacity);
    *counted_at = now_ms;
    if *tokens >= 1.0 {
        *tokens -= 1.0;
        Ok(())
    } else {
        let wait_ms = (1.0 - *tokens) / per_ms;
        Err((wait_ms / 1000.0).ceil() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_one_call_per_period() {
        let app = "app_rate_test_burst";
        for _ in 0..3 {
            assert_eq!(take(app, 3, 1_000), Ok(()));
        }
        assert_eq!(take(app, 3, 1_000), Err(20));
        assert_eq!(take(app, 3, 20_999), Err(1));
        assert_eq!(take(app, 3, 21_000), Ok(()));
        // Another app has its own bucket.
        assert_eq!(take("app_rate_test_other", 3, 21_000), Ok(()));
    }
}
