//! The control API that makes the reconciliation file disagree with the merchant, as the ABC
//! mode's does with its statements:
//!
//! - `POST /sim/unionpay/orders/{orderId}/statement` `{"fault": "omit"|"next_day"|"amount"|
//!   "fee"|"corrupt", "amount_fen": …, "fee_fen": …}` (the ABC mode's shape): how the file
//!   shows that order's line; `DELETE` shows it as it is again.
//! - `POST /sim/unionpay/orders` `{"mer_id", "order_id", "amount_fen"}`: a consume paid by
//!   other means, never started by the merchant and never notified: only the file shows it.

use super::book::{CONSUME, Status, Transaction};
use super::intake::is_order_id;
use super::signing::Sealing;
use super::state::UnionPayState;
use crate::clock::now_china;
use crate::faults::StatementFault;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use unipay_core::money::MAX_AMOUNT_FEN;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

fn known(sim: &UnionPayState, order_id: &str) -> bool {
    sim.book().iter().any(|t| t.order_id == order_id)
}

pub async fn set_statement_fault(
    State(sim): State<UnionPayState>,
    Path(order_id): Path<String>,
    body: Bytes,
) -> Response {
    let fault: StatementFault = match serde_json::from_slice(&body) {
        Ok(fault) => fault,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if !known(&sim, &order_id) {
        return error(StatusCode::NOT_FOUND, "no such orderId");
    }
    sim.set_statement_fault(&order_id, Some(fault));
    Json(json!({ "order_id": order_id, "statement_fault": fault })).into_response()
}

pub async fn clear_statement_fault(
    State(sim): State<UnionPayState>,
    Path(order_id): Path<String>,
) -> Response {
    sim.set_statement_fault(&order_id, None);
    Json(json!({ "order_id": order_id })).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CounterConsume {
    mer_id: String,
    order_id: String,
    amount_fen: i64,
}

pub async fn counter_consume(State(sim): State<UnionPayState>, body: Bytes) -> Response {
    let order: CounterConsume = match serde_json::from_slice(&body) {
        Ok(order) => order,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    if sim.merchants().get(&order.mer_id).is_none() {
        return error(StatusCode::BAD_REQUEST, "unknown mer_id");
    }
    if !is_order_id(&order.order_id) {
        return error(StatusCode::BAD_REQUEST, "order_id is not an orderId");
    }
    let Some(amount_fen) = u64::try_from(order.amount_fen)
        .ok()
        .filter(|fen| (1..=MAX_AMOUNT_FEN.unsigned_abs()).contains(fen))
    else {
        return error(StatusCode::BAD_REQUEST, "amount_fen out of range");
    };
    let now = now_china();
    let (trace_no, trace_time) = sim.new_trace(now);
    let transaction = Transaction {
        mer_id: order.mer_id,
        order_id: order.order_id,
        txn_time: now.format("%Y%m%d%H%M%S").to_string(),
        txn_type: CONSUME.to_string(),
        txn_sub_type: "01".to_string(),
        biz_type: "000201".to_string(),
        access_type: "0".to_string(),
        channel_type: Some("07".to_string()),
        currency_code: "156".to_string(),
        amount_fen,
        query_id: sim.new_query_id(now),
        orig_query_id: None,
        status: Status::Succeeded,
        front_url: None,
        back_url: None,
        sealing: Sealing::RsaSha256,
        encoding: "UTF-8".to_string(),
        req_reserved: None,
        settle_date: Some(sim.settle_date(now)),
        trace_no: Some(trace_no),
        trace_time: Some(trace_time),
        refunded_fen: 0,
        voided: false,
        completed: false,
        page_token: None,
        notify_acknowledged: false,
        notify_attempts: 0,
    };
    let query_id = transaction.query_id.clone();
    match sim.book().add(transaction) {
        Ok(_) => (
            StatusCode::CREATED,
            Json(json!({ "query_id": query_id, "amount_fen": amount_fen })),
        )
            .into_response(),
        Err(e) => error(StatusCode::CONFLICT, &e.to_string()),
    }
}
