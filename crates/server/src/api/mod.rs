//! The merchant API (`/v1`): signed JSON for business systems.

pub mod auth;
mod create;
pub mod error;
pub mod object;
mod openapi;
mod payments;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/payments",
            post(create::create_payment).get(payments::find_payment),
        )
        .route("/v1/payments/{id}", get(payments::get_payment))
        .route("/v1/payments/{id}/close", post(payments::close_payment))
        .route("/v1/openapi.json", get(openapi::document))
}

pub use payments::flow_error;
