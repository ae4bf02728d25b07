//! Back transactions from the merchant's server: refund (04), consume void (31), pre-auth
//! void (32), completion (03, up to 115 % of the hold, within 30 days of it) and completion void (33). The
//! synchronous answer 00 only says "accepted"; the result follows by back notification
//! (success or failure alike, as UnionPay does for back transactions) and by query.

use super::answers::{echo, respond, sealed};
use super::back_rules::{apply, check};
use super::book::{
    BookError, COMPLETION, COMPLETION_VOID, CONSUME_VOID, PREAUTH_VOID, REFUND, Status, Transaction,
};
use super::codes;
use super::delivery::spawn_back_notification;
use super::intake::{Refusal, Verified, amount_fen, is_order_id, is_txn_time, refuse, required};
use super::state::{Inner, UnionPayState};
use crate::clock::now_china;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use std::time::Duration;

pub async fn back_request(State(sim): State<UnionPayState>, body: Bytes) -> Response {
    let faults = sim.faults();
    if let Some(delay) = faults.answer_delay_ms
        && !sim.sleep(Duration::from_millis(delay)).await
    {
        return super::intake::refusal_answer(&sim, &timeout_refusal(&body));
    }
    if faults.answer_timeout {
        return super::intake::refusal_answer(&sim, &timeout_refusal(&body));
    }
    let verified = match super::intake::verify(&sim, &body) {
        Ok(verified) => verified,
        Err(refusal) => return super::intake::refusal_answer(&sim, &refusal),
    };
    match accept(&sim, &verified) {
        Ok(index) => {
            let query_id = sim
                .book()
                .get(index)
                .map(|t| t.query_id.clone())
                .unwrap_or_default();
            let mut answer = echo(&verified.request, codes::SUCCESS);
            answer.set("queryId", query_id);
            let answer = sealed(&sim, &verified.mer_id, verified.sealing, answer);
            settle_later(sim.clone(), index);
            respond(&answer)
        }
        Err(refusal) => super::intake::refusal_answer(&sim, &refusal),
    }
}

/// What a timeout fault answers: respCode 03, echoing whatever the body held.
fn timeout_refusal(body: &[u8]) -> Refusal {
    let request = super::form::decode_form(body).ok();
    Refusal {
        code: codes::unknown_code("03").unwrap_or(codes::FAILED),
        detail: "answer_timeout fault".to_string(),
        sealing: request
            .as_ref()
            .and_then(|r| super::signing::Sealing::of(r).ok()),
        request,
    }
}

/// Checks the operation against its original and books it; the new transaction's index.
fn accept(sim: &Inner, verified: &Verified) -> Result<usize, Refusal> {
    let request = &verified.request;
    let txn_type = required(request, "txnType")?;
    if !matches!(
        txn_type,
        REFUND | CONSUME_VOID | PREAUTH_VOID | COMPLETION | COMPLETION_VOID
    ) {
        return Err(refuse(
            verified,
            codes::NOT_PERMITTED,
            "not a back transaction taken here",
        ));
    }
    let amount = amount_fen(required(request, "txnAmt")?).ok_or_else(|| {
        refuse(
            verified,
            codes::FORMAT_ERROR,
            "txnAmt is not an amount in fen",
        )
    })?;
    let order_id = required(request, "orderId")?;
    let txn_time = required(request, "txnTime")?;
    if !is_order_id(order_id) || !is_txn_time(txn_time) {
        return Err(refuse(
            verified,
            codes::FORMAT_ERROR,
            "orderId or txnTime malformed",
        ));
    }
    let orig_query_id = required(request, "origQryId")?;
    let now = now_china();
    let today = sim.settle_date(now);
    let mut book = sim.book();
    let original_index = book
        .by_query_id(orig_query_id)
        .filter(|i| book.get(*i).is_some_and(|t| t.mer_id == verified.mer_id))
        .ok_or_else(|| refuse(verified, codes::ORIGINAL_STATE, "no such original"))?;
    let original = book
        .get(original_index)
        .cloned()
        .ok_or_else(|| refuse(verified, codes::ORIGINAL_STATE, "no such original"))?;
    let effect = check(txn_type, amount, &original, &today, now.naive_local())
        .map_err(|(code, why)| refuse(verified, code, why))?;
    let transaction = Transaction {
        mer_id: verified.mer_id.clone(),
        order_id: order_id.to_string(),
        txn_time: txn_time.to_string(),
        txn_type: txn_type.to_string(),
        txn_sub_type: request.get("txnSubType").unwrap_or("00").to_string(),
        biz_type: request.get("bizType").unwrap_or("000201").to_string(),
        access_type: request.get("accessType").unwrap_or("0").to_string(),
        channel_type: request.get("channelType").map(str::to_string),
        currency_code: request.get("currencyCode").unwrap_or("156").to_string(),
        amount_fen: amount,
        query_id: sim.new_query_id(now_china()),
        orig_query_id: Some(orig_query_id.to_string()),
        status: Status::InProgress,
        front_url: None,
        back_url: request.get("backUrl").map(str::to_string),
        sealing: verified.sealing,
        encoding: request.get("encoding").unwrap_or("UTF-8").to_string(),
        req_reserved: request.get("reqReserved").map(str::to_string),
        settle_date: None,
        trace_no: None,
        trace_time: None,
        refunded_fen: 0,
        voided: false,
        completed: false,
        page_token: None,
        notify_acknowledged: false,
        notify_attempts: 0,
    };
    let index = book.add(transaction).map_err(|error| match error {
        BookError::Duplicate => refuse(verified, codes::DUPLICATE, "order exists"),
        BookError::Full => refuse(verified, codes::FAILED, "the book is full"),
    })?;
    apply(&mut book, original_index, effect);
    Ok(index)
}

/// The accepted operation succeeds after the answer has gone, then is notified.
fn settle_later(sim: UnionPayState, index: usize) {
    tokio::spawn(async move {
        let now = now_china();
        let trace = sim.new_trace(now);
        if let Some(transaction) = sim.book().get_mut(index) {
            transaction.status = Status::Succeeded;
            transaction.settle_date = Some(sim.settle_date(now));
            transaction.trace_no = Some(trace.0);
            transaction.trace_time = Some(trace.1);
        }
        spawn_back_notification(sim, index);
    });
}
