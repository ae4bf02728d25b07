//! `Query`: the order's state, as base64 of a JSON order detail in `Order`; subject to the
//! `query` fault for the first K queries of each order, to `query_unknown_until_ms` for every
//! query in its window, and to `query_amount_fen` (another amount) for every order. A number
//! that is no order but a refund's NewOrderNo is answered with the refund read as an order (see
//! [`crate::refunds::query`]); the faults apply to it the same way, counted per refund (all
//! but `query_amount_fen`).

use crate::answer;
use crate::book::{Order, OrderBook};
use crate::clock::now_ms;
use crate::codes;
use crate::faults::{DEFAULT_QUERY_HOLD_MS, QueryFault};
use crate::ids::is_order_no;
use crate::messages::query::QueryOrder;
use crate::messages::refund::RefundQueryOrder;
use crate::refunds;
use crate::state::SimState;
use crate::trx::{Reply, text};
use base64::Engine;
use serde_json::Value;
use std::time::Duration;
use unipay_core::money::format_yuan;

/// Status of an order or refund the `query: "02"` fault hides.
const NO_RESPONSE: &str = "02";

/// What a Query found: an order, or a refund read as one.
enum Detail {
    Order(QueryOrder),
    Refund(RefundQueryOrder),
}

pub fn query(sim: &SimState, merchant_id: &str, request: &Value) -> Reply {
    let Some(order_no) = text(request, &["OrderNo"]).filter(|no| is_order_no(no)) else {
        return Reply::Message(answer::bad_field(merchant_id, "OrderNo"));
    };
    let (faults, generation) = sim.faults_with_generation();
    let now_ms = now_ms();
    // In the outage window even an unknown order gets EUNKWN: the bank cannot look it up.
    let outage = faults.query_unknown_at(now_ms);
    // Count the query and copy the detail under one short lock; encode and sign outside it.
    let found = find(
        &mut sim.orders_current(),
        merchant_id,
        order_no,
        generation,
        now_ms,
    );
    let Some((nth, detail)) = found else {
        let refusal = if outage {
            codes::UNKNOWN
        } else {
            codes::ORDER_NOT_FOUND
        };
        return Reply::Message(answer::refusal(merchant_id, refusal));
    };
    if outage {
        return Reply::Message(answer::refusal(merchant_id, codes::UNKNOWN));
    }
    let detail = match faults.query_fault(nth) {
        Some(QueryFault::Unknown) => {
            return Reply::Message(answer::refusal(merchant_id, codes::UNKNOWN));
        }
        Some(QueryFault::Timeout) => {
            let hold = faults.query_timeout_ms.unwrap_or(DEFAULT_QUERY_HOLD_MS);
            return Reply::Hold(Duration::from_millis(hold));
        }
        Some(QueryFault::NoResponse) => no_response(detail),
        None => detail,
    };
    let detail = match (detail, faults.query_amount_fen) {
        (Detail::Order(order), Some(fen)) => Detail::Order(QueryOrder {
            order_amount: format_yuan(fen),
            ..order
        }),
        (detail, _) => detail,
    };
    match encode(merchant_id, &detail) {
        Some(message) => Reply::Message(message),
        None => Reply::Message(answer::refusal(merchant_id, codes::INCOMPLETE)),
    }
}

/// The order or refund numbered `number`, with the query counted on it.
fn find(
    book: &mut OrderBook,
    merchant_id: &str,
    number: &str,
    generation: u64,
    now_ms: i64,
) -> Option<(u32, Detail)> {
    if let Some(id) = book.find(merchant_id, number) {
        let order = book.get_mut(id)?;
        let nth = order.count_query(generation);
        return Some((nth, Detail::Order(order_detail(order, now_ms))));
    }
    let order = book
        .find_refund(merchant_id, number)
        .and_then(|id| book.get_mut(id))?;
    let original = order.order_no.clone();
    let refund = order.refund_mut(number)?;
    let nth = refund.count_query(generation);
    let detail = refunds::query::detail(refund, &original, now_ms);
    Some((nth, Detail::Refund(detail)))
}

fn order_detail(order: &Order, now_ms: i64) -> QueryOrder {
    QueryOrder {
        pay_type_id: order.pay_type_id.clone(),
        order_no: order.order_no.to_string(),
        order_date: order.order_date.clone(),
        order_time: order.order_time.clone(),
        order_amount: format_yuan(order.amount_fen),
        status: order.status_code(now_ms).to_string(),
        i_rsp_ref: order
            .payment
            .as_ref()
            .map(|payment| payment.i_rsp_ref.clone())
            .unwrap_or_default(),
        host_date: None,
        host_time: None,
    }
}

/// The `02` fault: the bank says it has no answer yet, and so no serial or host time either.
fn no_response(detail: Detail) -> Detail {
    match detail {
        Detail::Order(order) => Detail::Order(QueryOrder {
            status: NO_RESPONSE.to_string(),
            i_rsp_ref: String::new(),
            ..order
        }),
        Detail::Refund(refund) => Detail::Refund(RefundQueryOrder {
            status: NO_RESPONSE.to_string(),
            i_rsp_ref: String::new(),
            host_date: None,
            host_time: None,
            ..refund
        }),
    }
}

/// The answer: the head and `Order`, base64 of the detail's JSON (the captured Query answer).
fn encode(merchant_id: &str, detail: &Detail) -> Option<String> {
    let json = match detail {
        Detail::Order(order) => serde_json::to_string(order).ok()?,
        Detail::Refund(refund) => serde_json::to_string(refund).ok()?,
    };
    let order = base64::engine::general_purpose::STANDARD.encode(json.as_bytes());
    Some(answer::object(
        merchant_id,
        answer::head(merchant_id, "Query", codes::SUCCESS).s("Order", &order),
    ))
}
