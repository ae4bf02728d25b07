//! Requests the bank leaves unanswered: the `call_timeout_pct` fault, which any request to the
//! transaction endpoint may draw, and the note kept on the order the request is about.

use crate::book::LostCallRecord;
use crate::clock::now_china;
use crate::faults::Faults;
use crate::state::SimState;
use crate::trx::{Reply, text};
use serde_json::Value;
use std::time::Duration;

/// `dispatch`'s answer, unless the `call_timeout_pct` draw loses it: then the request is held
/// and cut, after `dispatch` ran (the bank did the work) or without it (the request never
/// reached the bank).
pub fn answer_or_lose(
    sim: &SimState,
    merchant_id: &str,
    request: &Value,
    dispatch: impl FnOnce() -> Reply,
) -> Reply {
    let (faults, lost) = sim.draw_faults(Faults::draw_call);
    let Some(lost) = lost else {
        return dispatch();
    };
    if lost.processed() {
        // Whatever the bank answered, held or not, is what the merchant never gets.
        drop(dispatch());
    }
    tracing::debug!(
        merchant_id,
        trx_type = text(request, &["TrxType"]).unwrap_or_default(),
        processed = lost.processed(),
        "call_timeout_pct: the request goes unanswered"
    );
    note(sim, merchant_id, request, "call_timeout", lost.processed());
    Reply::Hold(Duration::from_millis(faults.call_hold_ms()))
}

/// Notes the lost request on the order it is about, when the bank holds that order.
pub fn note(
    sim: &SimState,
    merchant_id: &str,
    request: &Value,
    fault: &'static str,
    processed: bool,
) {
    let Some(trx_type) = text(request, &["TrxType"]) else {
        return;
    };
    let Some(number) = order_number(trx_type, request) else {
        return;
    };
    let mut book = sim.orders();
    let id = book
        .find(merchant_id, number)
        .or_else(|| book.find_refund(merchant_id, number))
        .or_else(|| book.find_operation(merchant_id, number));
    if let Some(order) = id.and_then(|id| book.get_mut(id)) {
        order.record_lost_call(LostCallRecord {
            trx_type: trx_type.to_string(),
            at: now_china().to_rfc3339(),
            processed,
            fault,
        });
    }
}

/// The number naming the order (or the refund or operation on it) a request is about. Other
/// transactions (statements, batches, mandates, identity) name no order.
fn order_number<'a>(trx_type: &str, request: &'a Value) -> Option<&'a str> {
    let path: &[&str] = match trx_type {
        // Where ABC's client puts the number: inside `Order{…}` for these.
        "PayReq" | "KPayVerifyReq" | "KPayReq" | "KPayResendReq" => &["Order", "OrderNo"],
        "Query" | "Refund" | "AgentPay" => &["OrderNo"],
        "PreAuthCancelConfirm" => &["Order", "OriginalOrderNo"],
        _ => return None,
    };
    text(request, path)
}
