//! `AgentBatch`: the bank checks the batch as a whole and accepts it at once; its lines are
//! carried out once the batch delay has passed (on the first `AgentBatchQuery` after it), each
//! judged like an `AgentPay` and booked as an order. A line that cannot be debited fails on its
//! own (status `1`, with the code and message AgentPay would have got). Repeating a batch (same
//! merchant, BatchNo and BatchDate, same lines) answers as the first time; other lines under
//! the same number are refused (`2322`).

use super::book::{BatchLine, DebitBatch};
use super::debit::{book_debit, judge};
use crate::answer;
use crate::clock::{now_china, now_ms, protocol_date, protocol_time};
use crate::codes;
use crate::fields::{is_date, is_time};
use crate::ids::is_order_no;
use crate::state::SimState;
use crate::trx::text;
use serde_json::{Value, json};
use std::collections::HashSet;
use unipay_core::money::{format_yuan, parse_yuan_to_fen};

pub const MAX_LINES: usize = 10_000;

pub fn agent_batch(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let batch = match validate(merchant_id, request) {
        Ok(batch) => batch,
        Err(Refusal::Field(field)) => return answer::bad_field(merchant_id, field),
        Err(Refusal::Mismatch) => return answer::refusal(merchant_id, codes::BATCH_MISMATCH),
    };
    let mut book = sim.mandates();
    let accepted = match book.find_batch(merchant_id, &batch.batch_no, &batch.batch_date) {
        Some(earlier) if earlier.same_request(&batch) => earlier.clone(),
        Some(_) => return answer::refusal(merchant_id, codes::DUPLICATE_BATCH),
        None => {
            let now = now_china();
            let delay_ms = i64::try_from(sim.batch_refund_delay.as_millis()).unwrap_or(i64::MAX);
            let batch = DebitBatch {
                serial_number: sim.serials.bank_serial(),
                host_date: protocol_date(now.date_naive()),
                host_time: protocol_time(now),
                due_ms: now.timestamp_millis().saturating_add(delay_ms),
                ..batch
            };
            if book.batches.len() >= super::book::MAX_BATCHES
                && let Some(oldest) = book
                    .batches
                    .iter()
                    .filter(|(_, b)| b.processed)
                    .min_by_key(|(_, b)| b.due_ms)
                    .map(|(key, _)| key.clone())
            {
                book.batches.remove(&oldest);
            }
            book.batches.insert(
                (merchant_id.to_string(), batch.serial_number.clone()),
                batch.clone(),
            );
            batch
        }
    };
    drop(book);
    answer::message(
        merchant_id,
        json!({
            "ReturnCode": codes::SUCCESS.0,
            "ErrorMessage": codes::SUCCESS.1,
            "ECMerchantType": "EBUS",
            "MerchantID": merchant_id,
            "TrxType": "AgentBatch",
            "BatchNo": accepted.batch_no,
            "BatchDate": accepted.batch_date,
            "BatchTime": accepted.batch_time,
            "AgentCount": accepted.lines.len().to_string(),
            "AgentAmount": format_yuan(accepted.total_fen),
            "SerialNumber": accepted.serial_number,
            "HostDate": accepted.host_date,
            "HostTime": accepted.host_time,
        }),
    )
}

enum Refusal {
    Field(&'static str),
    Mismatch,
}

fn validate(merchant_id: &str, request: &Value) -> Result<DebitBatch, Refusal> {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    let batch_no = field("BatchNo");
    if !is_order_no(batch_no) {
        return Err(Refusal::Field("BatchNo"));
    }
    if !is_date(field("BatchDate")) {
        return Err(Refusal::Field("BatchDate"));
    }
    if !is_time(field("BatchTime")) {
        return Err(Refusal::Field("BatchTime"));
    }
    let count = field("AgentCount")
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LINES).contains(n))
        .ok_or(Refusal::Field("AgentCount"))?;
    let total_fen = parse_yuan_to_fen(field("AgentAmount"))
        .ok()
        .filter(|fen| *fen > 0)
        .ok_or(Refusal::Field("AgentAmount"))?;
    let details = request
        .get("Details")
        .and_then(Value::as_array)
        .filter(|lines| (1..=MAX_LINES).contains(&lines.len()))
        .ok_or(Refusal::Field("Details"))?;
    let mut seq_nos = HashSet::with_capacity(details.len());
    let mut order_nos = HashSet::with_capacity(details.len());
    let mut lines = Vec::with_capacity(details.len());
    let mut sum: i64 = 0;
    for detail in details {
        let line_field = |name: &str| text(detail, &[name]).unwrap_or("");
        let seq_no = line_field("SeqNo");
        if !(1..=10).contains(&seq_no.len())
            || !seq_no.bytes().all(|b| b.is_ascii_digit())
            || !seq_nos.insert(seq_no.to_string())
        {
            return Err(Refusal::Field("SeqNo"));
        }
        let agent_sign_no = line_field("AgentSignNo");
        if !is_order_no(agent_sign_no) {
            return Err(Refusal::Field("AgentSignNo"));
        }
        let order_no = line_field("OrderNo");
        if !is_order_no(order_no) || !order_nos.insert(order_no.to_string()) {
            return Err(Refusal::Field("OrderNo"));
        }
        let amount_fen = parse_yuan_to_fen(line_field("Amount"))
            .ok()
            .filter(|fen| *fen > 0)
            .ok_or(Refusal::Field("Amount"))?;
        sum = sum.saturating_add(amount_fen);
        lines.push(BatchLine {
            seq_no: seq_no.to_string(),
            agent_sign_no: agent_sign_no.to_string(),
            order_no: order_no.to_string(),
            amount_fen,
            outcome: None,
        });
    }
    if count != lines.len() || total_fen != sum {
        return Err(Refusal::Mismatch);
    }
    Ok(DebitBatch {
        merchant_id: merchant_id.to_string(),
        batch_no: batch_no.to_string(),
        batch_date: field("BatchDate").to_string(),
        batch_time: field("BatchTime").to_string(),
        serial_number: String::new(),
        host_date: String::new(),
        host_time: String::new(),
        total_fen,
        lines,
        due_ms: 0,
        processed: false,
    })
}

pub fn agent_batch_query(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    let serial_number = field("SerialNumber");
    if !is_order_no(serial_number) {
        return answer::bad_field(merchant_id, "SerialNumber");
    }
    let key = (merchant_id.to_string(), serial_number.to_string());
    let mut book = sim.mandates();
    let matches = book.batches.get(&key).is_some_and(|b| {
        b.batch_date == field("BatchDate")
            && b.batch_time == field("BatchTime")
            && (field("BatchNo").is_empty() || b.batch_no == field("BatchNo"))
    });
    if !matches {
        return answer::refusal(merchant_id, codes::BATCH_NOT_FOUND);
    }
    let due = book
        .batches
        .get(&key)
        .is_some_and(|b| !b.processed && b.due_ms <= now_ms());
    if due && let Some(mut batch) = book.batches.remove(&key) {
        // Judged against the mandates as they stand now; booked in the order book.
        for line in &mut batch.lines {
            let taken = sim.orders().number_taken(merchant_id, &line.order_no);
            let judged = if taken {
                Err(codes::DUPLICATE_ORDER)
            } else {
                judge(&book, merchant_id, &line.agent_sign_no, line.amount_fen)
            };
            line.outcome = Some(if taken {
                Err(codes::DUPLICATE_ORDER)
            } else {
                book_debit(sim, merchant_id, &line.order_no, line.amount_fen, judged)
            });
        }
        batch.processed = true;
        book.batches.insert(key.clone(), batch);
    }
    let Some(batch) = book.batches.get(&key) else {
        return answer::refusal(merchant_id, codes::BATCH_NOT_FOUND);
    };
    let mut success = (0usize, 0i64);
    let mut failed = (0usize, 0i64);
    let details: Vec<Value> = batch
        .lines
        .iter()
        .map(|line| {
            let (status, code, reason, serial, date, time) = match &line.outcome {
                None => ("X", "", "", "", "", ""),
                Some(Ok(payment)) => {
                    success = (success.0 + 1, success.1 + line.amount_fen);
                    (
                        "0",
                        "",
                        "",
                        payment.i_rsp_ref.as_str(),
                        payment.host_date.as_str(),
                        payment.host_time.as_str(),
                    )
                }
                Some(Err((code, reason))) => {
                    failed = (failed.0 + 1, failed.1 + line.amount_fen);
                    ("1", *code, *reason, "", "", "")
                }
            };
            json!({
                "SeqNo": line.seq_no,
                "AgentSignNo": line.agent_sign_no,
                "OrderNo": line.order_no,
                "Amount": format_yuan(line.amount_fen),
                "Status": status,
                "ReasonCode": code,
                "Reason": reason,
                "iRspRef": serial,
                "HostDate": date,
                "HostTime": time,
            })
        })
        .collect();
    answer::message(
        merchant_id,
        json!({
            "ReturnCode": codes::SUCCESS.0,
            "ErrorMessage": codes::SUCCESS.1,
            "ECMerchantType": "EBUS",
            "MerchantID": merchant_id,
            "TrxType": "AgentBatchQuery",
            "BatchNo": batch.batch_no,
            "SerialNumber": batch.serial_number,
            "AgentCount": batch.lines.len().to_string(),
            "AgentAmount": format_yuan(batch.total_fen),
            "SuccessCount": success.0.to_string(),
            "SuccessAmount": format_yuan(success.1),
            "FailedCount": failed.0.to_string(),
            "FailedAmount": format_yuan(failed.1),
            "Details": details,
        }),
    )
}
