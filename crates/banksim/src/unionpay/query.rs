//! The status query (00/00): found by merId + orderId + txnTime of the original, answered
//! with respCode 00 and the original's result in origRespCode (and its txnType), or 34 when
//! the gateway knows no such order.

use super::answers::{respond, result_fields, sealed, status_code};
use super::codes;
use super::intake::{refusal_answer, refuse, required};
use super::state::UnionPayState;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use std::time::Duration;

pub async fn query_request(State(sim): State<UnionPayState>, body: Bytes) -> Response {
    let faults = sim.faults();
    if let Some(delay) = faults.answer_delay_ms
        && !sim.sleep(Duration::from_millis(delay)).await
    {
        return respond(&super::form::Message::new());
    }
    let verified = match super::intake::verify(&sim, &body) {
        Ok(verified) => verified,
        Err(refusal) => return refusal_answer(&sim, &refusal),
    };
    if faults.answer_timeout {
        return refusal_answer(
            &sim,
            &refuse(
                &verified,
                codes::unknown_code("03").unwrap_or(codes::FAILED),
                "fault",
            ),
        );
    }
    let lookup = (|| {
        let order_id = required(&verified.request, "orderId")?;
        let txn_time = required(&verified.request, "txnTime")?;
        let book = sim.book();
        let found = book
            .by_order(&verified.mer_id, order_id, txn_time)
            .and_then(|index| book.get(index));
        found
            .map(|transaction| (result_fields(transaction), status_code(&transaction.status)))
            .ok_or_else(|| refuse(&verified, codes::NO_SUCH_ORDER, "no such order"))
    })();
    let (mut answer, (orig_code, orig_message)) = match lookup {
        Ok(found) => found,
        Err(refusal) => return refusal_answer(&sim, &refusal),
    };
    let (orig_code, orig_message) = match faults
        .query_orig_resp_code
        .as_deref()
        .and_then(codes::unknown_code)
    {
        Some((code, text)) => (code.to_string(), text.to_string()),
        None => (orig_code, orig_message),
    };
    // The query's own fields, not the original's: it was asked with this encoding.
    for key in ["encoding", "accessType", "bizType"] {
        if let Some(value) = verified.request.get(key) {
            answer.set(key, value);
        }
    }
    answer.set("respCode", codes::SUCCESS.0);
    answer.set("respMsg", codes::SUCCESS.1);
    answer.set("origRespCode", orig_code);
    answer.set("origRespMsg", orig_message);
    respond(&sealed(&sim, &verified.mer_id, verified.sealing, answer))
}
