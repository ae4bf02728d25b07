//! A create call's outcome from the store, for a handler: a fresh result to go on with, the
//! earlier answer to send again, or one of the documented refusals (key reused with another
//! body, key still in flight, nonce spent).

use super::auth::nonce_reused;
use super::error::{ApiError, json_response};
use axum::http::StatusCode;
use axum::response::Response;
use unipay_api::ErrorCode;
use unipay_store::payments::Idempotent;

/// What a handler still has to deal with once the refusals are errors.
pub(crate) enum Answered<T> {
    Fresh(T),
    /// The first response under this Idempotency-Key, as it was stored.
    Replay {
        status: u16,
        body: String,
    },
}

pub(crate) fn answered<T>(outcome: Idempotent<T>) -> Result<Answered<T>, ApiError> {
    match outcome {
        Idempotent::Fresh(value) => Ok(Answered::Fresh(value)),
        Idempotent::Replay { status, body } => Ok(Answered::Replay { status, body }),
        Idempotent::KeyReused => Err(ApiError::new(
            ErrorCode::IdempotencyKeyReused,
            "this Idempotency-Key was used with a different request",
        )),
        Idempotent::NonceReused => Err(nonce_reused()),
        Idempotent::InFlight => Err(ApiError::new(
            ErrorCode::IdempotencyKeyInFlight,
            "a request with this Idempotency-Key is still being processed",
        )),
    }
}

/// A stored or rendered JSON answer with its status.
pub(crate) fn respond(status: u16, body: String) -> Response {
    json_response(StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body)
}
