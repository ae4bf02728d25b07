//! `/sim/agent/*`: the agent faults and a look at a signing, for tests.
//!
//! - `GET`/`POST`/`DELETE /sim/agent/faults` `{"lose_sign_results": bool,
//!   "insufficient_funds_cards": [card numbers], "unknown_pay_answers": bool}`
//! - `GET /sim/agent/signings/{OrderNo}?merchant_id=…`: the signing as the bank holds it.
//! - `POST /sim/agent/signings/{OrderNo}/unsign?merchant_id=…`: the customer ends the mandate
//!   at the bank (not through the merchant): the signing is unsigned and an `AGENTUNSIGN`
//!   result goes to the merchant's ResultNotifyURL, retried like the signing result. `409`
//!   unless the mandate is signed.

use super::book::{AgentFaults, SignStatus};
use super::notify;
use crate::clock::{now_china, protocol_date, protocol_time};
use crate::sim_api::{error, parse};
use crate::state::SimState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use unipay_core::masking::mask_card;

pub async fn get_faults(State(sim): State<SimState>) -> Response {
    Json(sim.mandates().faults.clone()).into_response()
}

pub async fn set_faults(State(sim): State<SimState>, body: Bytes) -> Response {
    let faults: AgentFaults = match parse(&body) {
        Ok(faults) => faults,
        Err(refused) => return refused.into_response(),
    };
    sim.mandates().set_faults(faults.clone());
    Json(faults).into_response()
}

pub async fn clear_faults(State(sim): State<SimState>) -> Response {
    sim.mandates().set_faults(AgentFaults::default());
    Json(AgentFaults::default()).into_response()
}

/// `?merchant_id=` of a signing path.
fn merchant_param(query: Option<&str>) -> Option<String> {
    query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "merchant_id")
            .map(|(_, v)| v.into_owned())
    })
}

pub async fn unsign_at_bank(
    State(sim): State<SimState>,
    Path(order_no): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let merchant_id = merchant_param(query.as_deref());
    let unsigned = {
        let mut book = sim.mandates();
        let signing = book.signings.values_mut().find(|s| {
            s.order_no == order_no && merchant_id.as_ref().is_none_or(|m| *m == s.merchant_id)
        });
        let Some(signing) = signing else {
            return error(StatusCode::NOT_FOUND, "no such signing");
        };
        if signing.status != SignStatus::Active {
            return error(StatusCode::CONFLICT, "the mandate is not signed");
        }
        let now = now_china();
        signing.status = SignStatus::Cancelled;
        signing.unsign_date = protocol_date(now.date_naive());
        signing.unsign_time = protocol_time(now);
        // A new message to deliver: the signing result's acknowledgement does not cover it.
        signing.notify_acknowledged = false;
        signing.clone()
    };
    let status = unsigned.status.code();
    notify::spawn_server(sim.clone(), unsigned);
    Json(json!({"order_no": order_no, "status": status})).into_response()
}

pub async fn get_signing(
    State(sim): State<SimState>,
    Path(order_no): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let merchant_id = query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "merchant_id")
            .map(|(_, v)| v.into_owned())
    });
    let book = sim.mandates();
    let signing = book.signings.values().find(|s| {
        s.order_no == order_no && merchant_id.as_ref().is_none_or(|m| *m == s.merchant_id)
    });
    let Some(s) = signing else {
        return error(StatusCode::NOT_FOUND, "no such signing");
    };
    Json(json!({
        "merchant_id": s.merchant_id,
        "order_no": s.order_no,
        "status": s.status.code(),
        "agent_sign_no": s.agent_sign_no,
        "card_no": if s.card_no.is_empty() { String::new() } else { mask_card(&s.card_no) },
        "certificate_no": s.certificate_masked,
        "expired_date": s.expired_date,
        // The per-mandate limit is gone from the protocol (AgentSign has no SingleLimitAmount);
        // the key stays, always null, so that readers of this shape keep working.
        "limit_fen": serde_json::Value::Null,
        "notify_attempts": s.notify_attempts,
        "notify_acknowledged": s.notify_acknowledged,
    }))
    .into_response()
}
