//! `/sim/batches/fault`: faults on the lines of batch refunds (see
//! [`crate::faults::batch::BatchFaults`]). `POST` replaces the set, `GET` shows it, `DELETE`
//! clears it. The set is separate from `/sim/faults` and survives its `DELETE`.

use super::{error, parse};
use crate::faults::batch::BatchFaults;
use crate::state::SimState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

pub async fn get(State(sim): State<SimState>) -> Response {
    Json(&*sim.batch_faults()).into_response()
}

pub async fn set(State(sim): State<SimState>, body: Bytes) -> Response {
    let faults: BatchFaults = match parse(&body) {
        Ok(faults) => faults,
        Err(refused) => return refused.into_response(),
    };
    if let Err(message) = faults.check() {
        return error(StatusCode::BAD_REQUEST, message);
    }
    sim.set_batch_faults(faults);
    Json(&*sim.batch_faults()).into_response()
}

pub async fn clear(State(sim): State<SimState>) -> Response {
    sim.set_batch_faults(BatchFaults::default());
    Json(BatchFaults::default()).into_response()
}
