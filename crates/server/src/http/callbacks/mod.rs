//! `/callbacks/...`: the bank's messages about payments, mandate signings and identity
//! verifications.

pub mod identity;
mod inbound;
pub mod mandate;
pub mod payment;

use crate::http::rate_limit::{self, PerSource};
use crate::state::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::post;

/// The largest bank message any callback reads.
pub const MAX_CALLBACK_BYTES: usize = 32 * 1024;

/// The callbacks' routes, each source limited to `inbound.callbacks_per_source_per_minute`.
pub fn router(state: &AppState) -> Router<AppState> {
    let limit = middleware::from_fn_with_state(
        PerSource::new(state, "callback", |limits| &limits.callbacks_per_source),
        rate_limit::limit,
    );
    Router::new()
        .route(
            "/callbacks/{channel_account_id}/mandates",
            post(mandate::sign_result),
        )
        .route(
            "/callbacks/{channel_account_id}/identity/{verify_no}",
            post(identity::identity_result),
        )
        .route(
            "/callbacks/{channel_account_id}",
            post(payment::bank_notification),
        )
        .route(
            "/callbacks/{channel_account_id}/front",
            post(payment::browser_notification),
        )
        .route_layer(DefaultBodyLimit::max(MAX_CALLBACK_BYTES))
        .route_layer(limit)
}
