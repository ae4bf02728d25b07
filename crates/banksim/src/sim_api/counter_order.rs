//! `POST /sim/orders`: an order the bank took money for by other means (at a counter, through
//! another system), never requested by the merchant's platform. The bank lists it in the
//! merchant's statement, and no notification about it is ever sent: the merchant learns of it
//! only from the statement, where reconciliation must find it (`bank_only`).

use super::{ApiError, order_response, parse};
use crate::book::{NotifyType, Order, Status};
use crate::clock::{now_china, protocol_date, protocol_time};
use crate::faults::FaultCounter;
use crate::ids::{is_merchant_id, is_order_no};
use crate::settle::{Outcome, settle};
use crate::state::SimState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use unipay_core::money::MAX_AMOUNT_FEN;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CounterOrder {
    merchant_id: String,
    order_no: String,
    amount_fen: i64,
    /// `ImmediatePay` (the default) or `PreAuthPay`: a pre-authorization the bank authorized
    /// by other means, which the merchant may then confirm or cancel.
    #[serde(default)]
    pay_type_id: Option<String>,
}

pub async fn create(State(sim): State<SimState>, body: Bytes) -> Response {
    let order: CounterOrder = match parse(&body) {
        Ok(order) => order,
        Err(refused) => return refused.into_response(),
    };
    if !is_merchant_id(&order.merchant_id) || sim.merchant_certificate(&order.merchant_id).is_none()
    {
        return refuse(StatusCode::BAD_REQUEST, "unknown merchant_id");
    }
    if !is_order_no(&order.order_no) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "order_no is not a valid order number",
        );
    }
    if !(1..=MAX_AMOUNT_FEN).contains(&order.amount_fen) {
        return refuse(StatusCode::BAD_REQUEST, "amount_fen out of range");
    }
    let pay_type_id = match order.pay_type_id.as_deref() {
        None | Some("ImmediatePay") => "ImmediatePay",
        Some("PreAuthPay") => "PreAuthPay",
        Some(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "pay_type_id: ImmediatePay or PreAuthPay",
            );
        }
    };
    let now = now_china();
    let id = {
        let mut book = sim.orders();
        if book.number_taken(&order.merchant_id, &order.order_no) {
            return refuse(StatusCode::CONFLICT, "order number already used");
        }
        book.insert(Order {
            merchant_id: order.merchant_id.as_str().into(),
            order_no: order.order_no.as_str().into(),
            amount_fen: order.amount_fen,
            pay_type_id: pay_type_id.into(),
            order_date: protocol_date(now.date_naive()),
            order_time: protocol_time(now),
            payment_type: "1".into(),
            notify_type: NotifyType::Server,
            notify_url: "".into(),
            merchant_remarks: String::new(),
            token: "".into(),
            status: Status::Unpaid,
            payment: None,
            query_count: 0,
            query_faults: FaultCounter::default(),
            refund_faults: FaultCounter::default(),
            notify_attempts: 0,
            notify_acknowledged: false,
            notify_log: Vec::new(),
            lost_calls: Vec::new(),
            statement_fault: None,
            refunds: Vec::new(),
            preauth: None,
        })
    };
    if settle(&sim, id, Outcome::Success).is_err() {
        return refuse(StatusCode::CONFLICT, "order could not be paid");
    }
    order_response(&sim, id, StatusCode::CREATED)
}

fn refuse(status: StatusCode, message: &str) -> Response {
    ApiError(status, message.to_string()).into_response()
}
