//! Rate limits by source address as a middleware, for any surface reachable without
//! credentials, with the limiter from `AppState::limits` the surface should use. What is over the limit is answered 429 at once, counted, and never written down.

use crate::rate_limit::{KeyedLimiter, Limits};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// The address a request came from: the peer of the connection. A proxy's forwarded headers
/// are not believed, since anyone can write them.
pub fn source_address(request_extensions: &axum::http::Extensions) -> String {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Which surface a limit guards and the limiter it uses.
#[derive(Clone)]
pub struct PerSource {
    state: AppState,
    /// As `metrics.rs` names it: `callback`, `cashier_kcode`, ...
    surface: &'static str,
    limiter: fn(&Limits) -> &KeyedLimiter,
}

impl PerSource {
    pub fn new(
        state: &AppState,
        surface: &'static str,
        limiter: fn(&Limits) -> &KeyedLimiter,
    ) -> PerSource {
        PerSource {
            state: state.clone(),
            surface,
            limiter,
        }
    }
}

/// The middleware (`middleware::from_fn_with_state(PerSource::new(..), limit)`): refuses a
/// source over its rate with 429.
pub async fn limit(State(guard): State<PerSource>, request: Request, next: Next) -> Response {
    let from = source_address(request.extensions());
    if !(guard.limiter)(&guard.state.limits).allow(&from) {
        guard.state.metrics.refused(guard.surface, "rate_limited");
        return too_many_requests();
    }
    next.run(request).await
}

/// 429 with a minute to wait.
pub fn too_many_requests() -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "too many requests").into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

/// The request's [`source_address`], as an extractor that never refuses.
pub struct SourceAddress(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SourceAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(SourceAddress(source_address(&parts.extensions)))
    }
}
