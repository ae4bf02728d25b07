//! Times every request into `unipay_http_request_duration_seconds`, by method and route
//! template (the path itself would be a label anyone could grow).

use crate::metrics::method_label;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub async fn time_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(request.method().as_str());
    // The template is shared (an `Arc` inside): holding it costs no copy of the text.
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    state.latencies.request(
        method,
        route.as_ref().map_or("unmatched", MatchedPath::as_str),
        started.elapsed(),
    );
    response
}
