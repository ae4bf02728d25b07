//! The UnionPay mode's JSON control API under `/sim/unionpay/`: the certificates merchants
//! verify its messages with, merchant registration, a transaction's state, and faults.

use super::answers::status_code;
use super::faults::{Faults, SignCertFault};
use super::state::UnionPayState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    (status, Json(json!({ "error": message.to_string() }))).into_response()
}

/// The root and middle (for 5.1.0 merchants' chain check) and the signing leaf (for 5.0.0
/// merchants, who look it up by `certId`), as PEM; the same of the SM2 chain (signMethod 21).
pub async fn certificates(State(sim): State<UnionPayState>) -> Response {
    let authority = &sim.authority;
    let sm2 = &authority.sm2;
    Json(json!({
        "root_pem": authority.root.pem(),
        "middle_pem": authority.middle.pem(),
        "sign_pem": authority.sign.certificate.pem(),
        "sign_cert_id": authority.sign.certificate.cert_id(),
        "sign_subject": authority.sign.certificate.subject(),
        "sm2_root_pem": sm2.root.pem(),
        "sm2_middle_pem": sm2.middle.pem(),
        "sm2_sign_pem": sm2.sign.certificate.pem(),
        "sm2_sign_cert_id": sm2.sign.certificate.cert_id(),
        "sm2_sign_subject": sm2.sign.certificate.subject(),
    }))
    .into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantRegistration {
    pub mer_id: String,
    /// The merchant's signing certificate: RSA (signMethod 01) or SM2 (signMethod 21).
    #[serde(default)]
    pub certificate_pem: Option<String>,
    /// The merchant's secure key (signMethod 11 and 12).
    #[serde(default)]
    pub secure_key: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MerchantRegistered {
    pub mer_id: String,
    pub cert_ids: Vec<String>,
    pub secure_key: bool,
}

pub async fn register_merchant(
    State(sim): State<UnionPayState>,
    Json(registration): Json<MerchantRegistration>,
) -> Response {
    let mut merchants = sim.merchants_mut();
    match merchants.register(
        &registration.mer_id,
        registration.certificate_pem.as_deref(),
        registration.secure_key.as_deref(),
    ) {
        Ok(keys) => Json(MerchantRegistered {
            mer_id: registration.mer_id.clone(),
            cert_ids: keys.cert_ids(),
            secure_key: keys.secure_key().is_some(),
        })
        .into_response(),
        Err(reason) => error(StatusCode::BAD_REQUEST, reason),
    }
}

/// A transaction by its `queryId`, for tests that look past the protocol.
pub async fn transaction(
    State(sim): State<UnionPayState>,
    Path(query_id): Path<String>,
) -> Response {
    let book = sim.book();
    let Some(transaction) = book.by_query_id(&query_id).and_then(|i| book.get(i)) else {
        return error(StatusCode::NOT_FOUND, "no such queryId");
    };
    let (code, message) = status_code(&transaction.status);
    Json(json!({
        "mer_id": transaction.mer_id,
        "order_id": transaction.order_id,
        "txn_time": transaction.txn_time,
        "txn_type": transaction.txn_type,
        "amount_fen": transaction.amount_fen,
        "query_id": transaction.query_id,
        "orig_query_id": transaction.orig_query_id,
        "resp_code": code,
        "resp_msg": message,
        "refunded_fen": transaction.refunded_fen,
        "voided": transaction.voided,
        "completed": transaction.completed,
        "settle_date": transaction.settle_date,
        "notify_attempts": transaction.notify_attempts,
        "notify_acknowledged": transaction.notify_acknowledged,
    }))
    .into_response()
}

pub async fn get_faults(State(sim): State<UnionPayState>) -> Response {
    Json(sim.faults()).into_response()
}

pub async fn set_faults(State(sim): State<UnionPayState>, Json(faults): Json<Faults>) -> Response {
    if let Err(reason) = faults.check() {
        return error(StatusCode::BAD_REQUEST, reason);
    }
    if faults.sign_cert == Some(SignCertFault::Expired) && !sim.authority.has_expired_leaves() {
        return error(
            StatusCode::BAD_REQUEST,
            "the key directory holds no out-of-date certificate (it predates them): start with a new --key-dir",
        );
    }
    sim.set_faults(faults.clone());
    Json(faults).into_response()
}

pub async fn clear_faults(State(sim): State<UnionPayState>) -> Response {
    sim.set_faults(Faults::default());
    Json(Faults::default()).into_response()
}
