//! The merchant API (`/v1`): signed JSON for business systems.

mod answered;
pub mod auth;
pub(crate) mod create;
pub(crate) mod debit_batches;
mod destinations;
pub mod error;
pub(crate) mod extract;
pub(crate) mod identity;
pub mod kcode;
pub(crate) mod mandate_input;
mod mandates;
pub mod openapi;
mod payments;
pub(crate) mod preauth;
pub(crate) mod refund_batches;
pub(crate) mod refunds;
pub mod routes;
mod transactions;

use crate::state::AppState;
use axum::Router;
use unipay_api::ErrorCode;

pub fn router() -> Router<AppState> {
    routes::routes()
        .into_iter()
        .fold(Router::new(), |router, route| {
            router.route(route.path, (route.handler)())
        })
        // Without it axum answers a bare 405 with no body: a client would get no error code,
        // though `method_not_allowed` is in the catalogue every caller relies on.
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::new(
        ErrorCode::MethodNotAllowed,
        "the route does not take this method",
    )
}

pub use payments::flow_error;

#[cfg(test)]
mod openapi_tests;
#[cfg(test)]
mod request_tests;
#[cfg(test)]
mod routes_live_tests;
#[cfg(test)]
mod schema_tests;
