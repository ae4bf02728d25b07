//! `/sim/*`: the JSON API tests and benchmarks drive the simulator with. Errors are
//! `{"error": "..."}` with a 4xx status.
//!
//! - `GET /sim/health`, `GET /sim/certificate` (DER), `GET /sim/certificate.pem`
//! - `POST /sim/merchants` `{"merchant_id", "certificate_pem"}`: registers (or replaces) a
//!   merchant; kept across restarts with a state file (see [`crate::persist`])
//! - `POST /sim/orders` `{"merchant_id", "order_no", "amount_fen", "pay_type_id"?}`: an order
//!   paid (or, `PreAuthPay`, authorized) by other means (see [`counter_order`])
//! - `GET /sim/orders/{OrderNo}`: the order as the bank holds it, with its refunds and its
//!   pre-authorization (see [`order_json`])
//! - `POST /sim/orders/{OrderNo}/pay` `{"outcome": "success"|"decline", "notify": "page"|"server"|"both"|"none"}`:
//!   plays the consumer; a PreAuthPay order is authorized rather than paid
//! - `POST /sim/orders/{OrderNo}/statement` `{"fault": "omit"|"next_day"|"amount"|"fee"|"corrupt",
//!   "amount_fen": …, "fee_fen": …}`: how statements misreport the order (see
//!   [`crate::faults::StatementFault`]); kept until `DELETE` of the same path clears it
//! - `GET`/`POST`/`DELETE /sim/faults`: the simulator-wide fault set (see [`Faults`]), with
//!   its percentage faults and their `seed`; a percentage over 100 is refused (`400`)
//! - `GET`/`POST`/`DELETE /sim/batches/fault` `{"fail_order_nos": […], "no_response_order_nos":
//!   […], "no_response_ms": N}`: faults on batch refund lines (see
//!   [`crate::faults::batch::BatchFaults`])
//!
//! Order paths take `?merchant_id=` when several merchants use the order number; an unknown
//! order is `404`.

pub mod batch_faults;
pub mod counter_order;
pub mod order_json;

use crate::book::{Lookup, NotifyType, OrderId};
use crate::clock::now_ms;
use crate::delivery;
use crate::faults::{Faults, StatementFault};
use crate::ids::is_merchant_id;
use crate::settle::{Outcome, SettleError, settle};
use crate::state::SimState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use unipay_channel_abc::crypto::Certificate;

/// A refused API call: `{"error": "..."}` with its status.
pub struct ApiError(StatusCode, String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    ApiError(status, message.to_string()).into_response()
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, format!("invalid JSON body: {e}")))
}

pub async fn health() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

pub async fn certificate_der(State(sim): State<SimState>) -> Response {
    let der = sim.certificate.to_der().to_vec();
    ([(header::CONTENT_TYPE, "application/pkix-cert")], der).into_response()
}

pub async fn certificate_pem(State(sim): State<SimState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        sim.certificate.to_pem(),
    )
        .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantBody {
    merchant_id: String,
    /// PEM, or DER given as base64 PEM body — whatever `Certificate::from_der_or_pem` reads.
    certificate_pem: String,
}

/// `POST /sim/merchants`
pub async fn put_merchant(State(sim): State<SimState>, body: Bytes) -> Response {
    let body: MerchantBody = match parse(&body) {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    if !is_merchant_id(&body.merchant_id) {
        return error(
            StatusCode::BAD_REQUEST,
            "merchant_id must be 1-32 letters, digits, '-' or '_'",
        );
    }
    let certificate = match Certificate::from_der_or_pem(body.certificate_pem.as_bytes()) {
        Ok(certificate) => certificate,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("certificate_pem: {e}")),
    };
    let subject = certificate.subject();
    if !sim.set_merchant(body.merchant_id.clone(), certificate) {
        return error(
            StatusCode::INSUFFICIENT_STORAGE,
            "merchant registry is full",
        );
    }
    Json(json!({ "merchant_id": body.merchant_id, "subject": subject })).into_response()
}

/// `?merchant_id=` names the merchant when several use one order number.
fn merchant_param(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == "merchant_id")
        .map(|(_, value)| value.into_owned())
}

fn find(sim: &SimState, order_no: &str, query: Option<&str>) -> Result<OrderId, ApiError> {
    let merchant = merchant_param(query);
    match sim.orders().find_by_no(order_no, merchant.as_deref()) {
        Ok(id) => Ok(id),
        Err(Lookup::NotFound) => Err(ApiError(StatusCode::NOT_FOUND, "unknown order".to_string())),
        Err(Lookup::Ambiguous) => Err(ApiError(
            StatusCode::BAD_REQUEST,
            "several merchants use this order number: add ?merchant_id=".to_string(),
        )),
    }
}

pub(crate) fn order_response(sim: &SimState, id: OrderId, status: StatusCode) -> Response {
    let value = match sim.orders_current().get(id) {
        Some(order) => order_json::order_json(sim, order, now_ms()),
        None => return error(StatusCode::NOT_FOUND, "unknown order"),
    };
    (status, Json(value)).into_response()
}

/// `GET /sim/orders/{OrderNo}`
pub async fn get_order(
    State(sim): State<SimState>,
    Path(order_no): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    match find(&sim, &order_no, query.as_deref()) {
        Ok(id) => order_response(&sim, id, StatusCode::OK),
        Err(refused) => refused.into_response(),
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum NotifyMode {
    Page,
    Server,
    Both,
    None,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct PayBody {
    #[serde(default)]
    outcome: Option<OutcomeName>,
    /// Absent: the order's own NotifyType.
    #[serde(default)]
    notify: Option<NotifyMode>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum OutcomeName {
    Success,
    Decline,
}

/// `POST /sim/orders/{OrderNo}/pay`: plays the consumer. Page delivery is awaited (so the caller
/// knows it happened); server delivery runs in the background on the retry schedule.
pub async fn pay_order(
    State(sim): State<SimState>,
    Path(order_no): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let body: PayBody = if body.iter().all(u8::is_ascii_whitespace) {
        PayBody::default()
    } else {
        match parse(&body) {
            Ok(body) => body,
            Err(refused) => return refused.into_response(),
        }
    };
    let id = match find(&sim, &order_no, query.as_deref()) {
        Ok(id) => id,
        Err(refused) => return refused.into_response(),
    };
    let outcome = match body.outcome {
        None | Some(OutcomeName::Success) => Outcome::Success,
        Some(OutcomeName::Decline) => Outcome::Decline,
    };
    let notice = match settle(&sim, id, outcome) {
        Ok((notice, _)) => notice,
        Err(SettleError::NotFound) => return error(StatusCode::NOT_FOUND, "unknown order"),
        Err(SettleError::Conflict(status)) => {
            let message = format!("order is already final with status {}", status.code());
            return error(StatusCode::CONFLICT, &message);
        }
    };
    let mode = body.notify.unwrap_or(match notice.notify_type {
        NotifyType::Page => NotifyMode::Page,
        NotifyType::Server => NotifyMode::Server,
        NotifyType::None => NotifyMode::None,
    });
    if matches!(mode, NotifyMode::Server | NotifyMode::Both) {
        delivery::spawn_server(sim.clone(), notice.clone(), None);
    }
    if matches!(mode, NotifyMode::Page | NotifyMode::Both) {
        delivery::deliver_page(&sim, &notice).await;
    }
    order_response(&sim, id, StatusCode::OK)
}

/// `POST /sim/orders/{OrderNo}/statement`: sets (replaces) the order's statement fault.
pub async fn set_statement_fault(
    State(sim): State<SimState>,
    Path(order_no): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let fault = match parse::<StatementFault>(&body) {
        Ok(fault) => fault,
        Err(refused) => return refused.into_response(),
    };
    statement_fault(&sim, &order_no, query.as_deref(), Some(fault))
}

/// `DELETE /sim/orders/{OrderNo}/statement`: statements show the order as it is again.
pub async fn clear_statement_fault(
    State(sim): State<SimState>,
    Path(order_no): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    statement_fault(&sim, &order_no, query.as_deref(), None)
}

fn statement_fault(
    sim: &SimState,
    order_no: &str,
    query: Option<&str>,
    fault: Option<StatementFault>,
) -> Response {
    let id = match find(sim, order_no, query) {
        Ok(id) => id,
        Err(refused) => return refused.into_response(),
    };
    match sim.orders().get_mut(id) {
        Some(order) => order.statement_fault = fault,
        None => return error(StatusCode::NOT_FOUND, "unknown order"),
    }
    order_response(sim, id, StatusCode::OK)
}

pub async fn get_faults(State(sim): State<SimState>) -> Response {
    Json(sim.faults()).into_response()
}

/// `POST /sim/faults`: replaces the whole set; a set refused (`400`) changes nothing.
pub async fn set_faults(State(sim): State<SimState>, body: Bytes) -> Response {
    let faults: Faults = match parse(&body) {
        Ok(faults) => faults,
        Err(refused) => return refused.into_response(),
    };
    if let Err(message) = faults.check() {
        return error(StatusCode::BAD_REQUEST, &message);
    }
    sim.set_faults(faults);
    Json(faults).into_response()
}

pub async fn clear_faults(State(sim): State<SimState>) -> Response {
    sim.set_faults(Faults::default());
    Json(Faults::default()).into_response()
}
