//! The merchant API (`/v1`): signed JSON for business systems.

mod answered;
pub mod auth;
pub(crate) mod create;
pub(crate) mod debit_batches;
pub mod error;
pub(crate) mod identity;
mod identity_openapi;
pub mod kcode;
mod kcode_openapi;
pub(crate) mod mandate_input;
mod mandate_openapi;
mod mandates;
mod openapi;
mod payments;
pub(crate) mod preauth;
pub(crate) mod refund_batches;
pub(crate) mod refunds;
mod transactions;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use unipay_api::ErrorCode;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/payments",
            post(create::create_payment).get(payments::find_payment),
        )
        .route("/v1/payments/{id}", get(payments::get_payment))
        .route("/v1/payments/{id}/close", post(payments::close_payment))
        .route("/v1/payments/{id}/capture", post(preauth::capture_payment))
        .route("/v1/payments/{id}/cancel", post(preauth::cancel_payment))
        .route("/v1/payments/{id}/kcode/confirm", post(kcode::confirm))
        .route("/v1/payments/{id}/kcode/resend", post(kcode::resend))
        .route(
            "/v1/payments/{id}/refunds",
            post(refunds::create_refund).get(refunds::list_payment_refunds),
        )
        .route("/v1/refunds", get(refunds::find_refund))
        .route("/v1/refund-batches", post(refund_batches::create_batch))
        .route("/v1/transactions", get(transactions::list_transactions))
        .route(
            "/v1/channel-transactions",
            get(transactions::channel_transactions),
        )
        .route("/v1/refund-batches/{id}", get(refund_batches::get_batch))
        .route("/v1/refunds/{id}", get(refunds::get_refund))
        .route("/v1/mandates", post(mandates::create_mandate))
        .route("/v1/mandates/{id}", get(mandates::get_mandate))
        .route("/v1/mandates/{id}/cancel", post(mandates::cancel_mandate))
        .route("/v1/mandates/{id}/debits", post(mandates::create_debit))
        .route("/v1/debit-batches", post(debit_batches::create_batch))
        .route("/v1/debit-batches/{id}", get(debit_batches::get_batch))
        .route(
            "/v1/identity-verifications",
            post(identity::create_verification),
        )
        .route(
            "/v1/identity-verifications/{id}",
            get(identity::get_verification),
        )
        .route("/v1/openapi.json", get(openapi::document))
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
