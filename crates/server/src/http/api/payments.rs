//! `GET /v1/payments/{id}`, `GET /v1/payments?out_trade_no=…`, `POST /v1/payments/{id}/close`.

use crate::flows::close::CloseOutcome;
use crate::flows::objects::payment::payment_object;
use crate::flows::objects::to_json;
use crate::flows::{self, FlowError, payments::QueryConclusion};
use crate::http::api::auth::SignedRequest;
use crate::http::api::error::{ApiError, json_response};
use crate::http::api::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use unipay_api::ErrorCode;
use unipay_core::event::EventSource;
use unipay_store::payments::Payment;

#[derive(Deserialize)]
pub struct GetParams {
    sync: Option<bool>,
}

#[derive(Deserialize)]
pub struct ListParams {
    out_trade_no: Option<String>,
    sync: Option<bool>,
}

pub async fn get_payment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiQuery(params): ApiQuery<GetParams>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let payment = owned_payment(&request, state.store.get_payment(&id).await?)?;
    respond_with(&state, payment, params.sync.unwrap_or(false)).await
}

pub async fn find_payment(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<ListParams>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let out_trade_no = params
        .out_trade_no
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::new(ErrorCode::InvalidRequest, "out_trade_no is required"))?;
    let found = state
        .store
        .get_payment_by_out_trade_no(&request.app.id, &out_trade_no)
        .await?;
    let payment = owned_payment(&request, found)?;
    respond_with(&state, payment, params.sync.unwrap_or(false)).await
}

pub async fn close_payment(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    request: SignedRequest,
) -> Result<Response, ApiError> {
    let payment = owned_payment(&request, state.store.get_payment(&id).await?)?;
    match flows::close::close_payment(&state, &payment, EventSource::Api)
        .await
        .map_err(flow_error)?
    {
        CloseOutcome::Closed(after) => Ok(object_response(&state, &after)),
        CloseOutcome::NotClosable(after) => Err(not_closable(&after)),
        CloseOutcome::Lost(what) => Err(ApiError::internal(what)),
        CloseOutcome::Unknown(reason) => Err(ApiError::new(
            ErrorCode::BankResultUnknown,
            format!(
                "the bank could not confirm the payment is unpaid ({reason}); nothing was changed"
            ),
        )),
    }
}

fn not_closable(payment: &Payment) -> ApiError {
    ApiError::new(
        ErrorCode::PaymentNotClosable,
        format!("the payment is {} and cannot be closed", payment.status),
    )
}

fn owned_payment(request: &SignedRequest, found: Option<Payment>) -> Result<Payment, ApiError> {
    // Another app's payment is reported as absent: ids are not secrets, but data is.
    found.filter(|p| p.app_id == request.app.id).ok_or_else(|| {
        ApiError::new(
            ErrorCode::PaymentNotFound,
            "no payment of this app has this id",
        )
    })
}

async fn respond_with(
    state: &AppState,
    payment: Payment,
    sync: bool,
) -> Result<Response, ApiError> {
    if !sync || !payment.status.is_open() {
        return Ok(object_response(state, &payment));
    }
    let conclusion = flows::payments::query_and_record(state, &payment, EventSource::Api, false)
        .await
        .map_err(flow_error)?;
    let applied = match conclusion {
        QueryConclusion::Applied(outcome) => outcome.into_payment(),
        QueryConclusion::StillUnpaid | QueryConclusion::Unknown(_) => None,
    };
    let fresh = match applied {
        Some(after) => after,
        None => state
            .store
            .get_payment(&payment.id)
            .await?
            .unwrap_or(payment),
    };
    Ok(object_response(state, &fresh))
}

fn object_response(state: &AppState, payment: &Payment) -> Response {
    json_response(
        StatusCode::OK,
        to_json(&payment_object(payment, &state.config.public_url)),
    )
}

pub fn flow_error(error: FlowError) -> ApiError {
    match error {
        FlowError::Channel(e) => ApiError::new(ErrorCode::BankUnavailable, e.to_string()),
        other => ApiError::internal(other),
    }
}
