//! `Query`: the order's state, as base64 of a JSON order detail in `Order`; subject to the
//! `query` fault for the first K queries of each order.

use crate::answer;
use crate::codes;
use crate::faults::{DEFAULT_QUERY_HOLD_MS, QueryFault};
use crate::ids::is_order_no;
use crate::state::SimState;
use crate::trx::{Reply, text};
use serde_json::Value;
use std::time::Duration;
use unipay_channel_abc::messages::{QueryOrder, QueryResponse};
use unipay_core::money::format_yuan;

pub fn query(sim: &SimState, merchant_id: &str, request: &Value) -> Reply {
    let Some(order_no) = text(request, &["OrderNo"]).filter(|no| is_order_no(no)) else {
        return Reply::Message(answer::bad_field(merchant_id, "OrderNo"));
    };
    let (faults, generation) = sim.faults_with_generation();
    // Count the query and copy the detail under one short lock; encode and sign outside it.
    let detail = {
        let mut book = sim.orders();
        let Some(order) = book
            .find(merchant_id, order_no)
            .and_then(|id| book.get_mut(id))
        else {
            return Reply::Message(answer::refusal(merchant_id, codes::ORDER_NOT_FOUND));
        };
        let nth = order.count_query(generation);
        let (status, i_rsp_ref) = match faults.query_fault(nth) {
            Some(QueryFault::Unknown) => {
                return Reply::Message(answer::refusal(merchant_id, codes::UNKNOWN));
            }
            Some(QueryFault::Timeout) => {
                let hold = faults.query_timeout_ms.unwrap_or(DEFAULT_QUERY_HOLD_MS);
                return Reply::Hold(Duration::from_millis(hold));
            }
            Some(QueryFault::NoResponse) => ("02", String::new()),
            None => (
                order.status.code(),
                order
                    .payment
                    .as_ref()
                    .map(|payment| payment.i_rsp_ref.clone())
                    .unwrap_or_default(),
            ),
        };
        QueryOrder {
            pay_type_id: order.pay_type_id.clone(),
            order_no: order.order_no.to_string(),
            order_date: order.order_date.clone(),
            order_time: order.order_time.clone(),
            order_amount: format_yuan(order.amount_fen),
            status: status.to_string(),
            i_rsp_ref,
            host_date: None,
            host_time: None,
        }
    };
    match QueryResponse::success(merchant_id, codes::SUCCESS.1, &detail) {
        Ok(response) => Reply::Message(answer::message(merchant_id, response)),
        Err(_) => Reply::Message(answer::refusal(merchant_id, codes::INCOMPLETE)),
    }
}
