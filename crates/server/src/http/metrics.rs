//! `GET /metrics`: Prometheus metrics, the request counters kept in memory (`crate::metrics`)
//! and the backlogs the store keeps as tallies (read at most once per `BACKLOGS_MAX_AGE_MS`);
//! served only to a scraper holding `[http] metrics_token`.

use crate::metrics::method_label;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;

/// Counts every request by its route pattern (not its path, which would grow without bound).
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let method = method_label(request.method().as_str());
    // The template is shared (an `Arc` inside): holding it costs no copy of the text.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    state.metrics.request(
        method,
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        response.status().as_u16(),
    );
    response
}

/// How long one read of the backlogs serves scrapes.
const BACKLOGS_MAX_AGE_MS: i64 = 5_000;

/// Whether the request carries `Authorization: Bearer <[http] metrics_token>`; never when no
/// token is set.
pub fn holds_metrics_token(state: &AppState, headers: &HeaderMap) -> bool {
    let token = state.config.http.metrics_token.as_bytes();
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::as_bytes);
    match presented {
        // Constant time: the comparison must not tell how much of a guess was right.
        Some(presented) if !token.is_empty() && presented.len() == token.len() => {
            presented
                .iter()
                .zip(token)
                .fold(0u8, |differ, (a, b)| differ | (a ^ b))
                == 0
        }
        _ => false,
    }
}

pub async fn render(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if !holds_metrics_token(&state, &headers) {
        // Not served to strangers, and not saying it exists.
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let mut out = String::with_capacity(4096);
    let _ = writeln!(
        out,
        "# HELP unipay_http_requests_total HTTP requests by method, route and status."
    );
    let _ = writeln!(out, "# TYPE unipay_http_requests_total counter");
    if let Ok(requests) = state.metrics.requests.lock() {
        let mut routes: Vec<_> = requests.iter().collect();
        routes.sort_unstable_by_key(|(route, _)| *route);
        for (route, counts) in routes {
            let route = escape(route);
            for ((method, status), count) in counts {
                let _ = writeln!(
                    out,
                    "unipay_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}",
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "# HELP unipay_payment_transitions_total Payment state changes made by this node, by new status."
    );
    let _ = writeln!(out, "# TYPE unipay_payment_transitions_total counter");
    if let Ok(transitions) = state.metrics.transitions.lock() {
        for (status, count) in transitions.iter() {
            let _ = writeln!(
                out,
                "unipay_payment_transitions_total{{status=\"{status}\"}} {count}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP unipay_unauthenticated_refusals_total Unauthenticated input refused, by surface and reason."
    );
    let _ = writeln!(out, "# TYPE unipay_unauthenticated_refusals_total counter");
    if let Ok(refusals) = state.metrics.refusals.lock() {
        for ((surface, reason), count) in refusals.iter() {
            let _ = writeln!(
                out,
                "unipay_unauthenticated_refusals_total{{surface=\"{surface}\",reason=\"{reason}\"}} {count}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP unipay_console_password_checks_total Password checks run for existing console users."
    );
    let _ = writeln!(out, "# TYPE unipay_console_password_checks_total counter");
    let _ = writeln!(
        out,
        "unipay_console_password_checks_total {}",
        state
            .metrics
            .password_checks
            .load(std::sync::atomic::Ordering::Relaxed)
    );
    state.latencies.render(&mut out);
    let backlogs = state.metrics.backlogs(
        state.now_ms(),
        BACKLOGS_MAX_AGE_MS,
        state.store.backlogs(state.now_ms()),
    );
    match backlogs.await {
        Ok(backlogs) => {
            let _ = writeln!(out, "# HELP unipay_payments Payments by status.");
            let _ = writeln!(out, "# TYPE unipay_payments gauge");
            for (status, count) in &backlogs.payments_by_status {
                let _ = writeln!(
                    out,
                    "unipay_payments{{status=\"{}\"}} {count}",
                    escape(status)
                );
            }
            gauge(
                &mut out,
                "unipay_janitor_due",
                "Open payments whose bank query is due.",
                backlogs.janitor_due,
            );
            gauge(
                &mut out,
                "unipay_janitor_watching",
                "Open payments the janitor watches.",
                backlogs.janitor_watching,
            );
            gauge(
                &mut out,
                "unipay_notifications_pending",
                "Business notifications not yet acknowledged.",
                backlogs.notifications_pending,
            );
            gauge(
                &mut out,
                "unipay_notifications_dead",
                "Business notifications dead-lettered.",
                backlogs.notifications_dead,
            );
            gauge(
                &mut out,
                "unipay_anomalies",
                "Anomalies recorded for operators (late successes).",
                backlogs.anomalies,
            );
            gauge(&mut out, "unipay_up", "1 when the database answers.", 1);
        }
        Err(error) => {
            tracing::error!(%error, "metrics: backlogs unavailable");
            gauge(&mut out, "unipay_up", "1 when the database answers.", 0);
        }
    }
    let mut response = out.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
    );
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
