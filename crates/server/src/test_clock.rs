//! The clock a server runs on. A build with the `failpoints` feature (the end-to-end tests'
//! binary, like the crash points) runs on the machine's time plus an offset that
//! `POST /chaos/clock/advance/{ms}` moves forward, so that a test lets a console session idle
//! out, a K-code resend interval pass or a lock-out run out by moving the clock rather than by
//! sleeping — a loaded machine cannot make such a test fail, nor a fast one pass by luck. Any
//! other build runs on the system clock and has no such route.

use std::sync::Arc;
use unipay_core::Clock;

#[cfg(feature = "failpoints")]
static CLOCK: std::sync::OnceLock<unipay_core::OffsetClock> = std::sync::OnceLock::new();

#[cfg(feature = "failpoints")]
fn offset_clock() -> &'static unipay_core::OffsetClock {
    CLOCK.get_or_init(unipay_core::OffsetClock::default)
}

/// The clock of this process's server: one per process, shared by every request and worker.
#[cfg(feature = "failpoints")]
pub fn process_clock() -> Arc<dyn Clock> {
    Arc::new(offset_clock().clone())
}

/// The clock of this process's server: the system's.
#[cfg(not(feature = "failpoints"))]
pub fn process_clock() -> Arc<dyn Clock> {
    Arc::new(unipay_core::SystemClock)
}

/// `POST /chaos/clock/advance/{ms}`: moves the clock ahead by `ms` (at most a day at a time);
/// answers the whole offset in milliseconds.
#[cfg(feature = "failpoints")]
pub async fn advance_route(
    axum::extract::Path(ms): axum::extract::Path<u32>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if ms > 86_400_000 {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            "at most a day (86400000 ms) at a time",
        )
            .into_response();
    }
    let offset = offset_clock().advance_ms(ms);
    tracing::warn!(
        advanced_ms = ms,
        offset_ms = offset,
        "test clock moved ahead"
    );
    offset.to_string().into_response()
}
