//! `AgentBatch` (TrxType, ReceiveAccount, ReceiveAccName, CurrencyCode, the header in
//! `AgentBatch{BatchNo, BatchDate, BatchTime, AgentCount, AgentAmount}`, lines in
//! `Details[{SeqNo, OrderNo, AgentSignNo, CardNo, OrderAmount, …}]`): the bank checks the batch as a whole and accepts it at once; its lines are
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
use crate::wire::json::Obj;
use crate::wire::names;
use serde_json::Value;
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
        None if sim
            .batch_faults()
            .refuses_batch(batch.lines.iter().map(|l| l.seq_no.as_str())) =>
        {
            return answer::refusal(merchant_id, codes::BATCH_REFUSED);
        }
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
                (
                    merchant_id.to_string(),
                    batch.batch_no.clone(),
                    batch.batch_date.clone(),
                ),
                batch.clone(),
            );
            batch
        }
    };
    drop(book);
    let send_time = format!("{} {}", accepted.host_date, accepted.host_time);
    answer::object(
        merchant_id,
        answer::head(merchant_id, "AgentBatch", codes::SUCCESS)
            .s("MerchantNo", merchant_id)
            .s("SendTime", &send_time)
            .s(names::BATCH_NO, &accepted.batch_no)
            .s(names::BATCH_DATE, &accepted.batch_date)
            .s(names::AGENT_COUNT, &accepted.lines.len().to_string())
            .s(names::AGENT_AMOUNT, &format_yuan(accepted.total_fen)),
    )
}

/// The SDK's limit on BatchNo.
const MAX_BATCH_NO: usize = 30;

fn is_batch_no(text: &str) -> bool {
    is_order_no(text) && text.len() <= MAX_BATCH_NO
}

enum Refusal {
    Field(&'static str),
    Mismatch,
}

fn validate(merchant_id: &str, request: &Value) -> Result<DebitBatch, Refusal> {
    if text(request, &["CurrencyCode"]) != Some("156") {
        return Err(Refusal::Field("CurrencyCode"));
    }
    let field = |name: &str| text(request, &["AgentBatch", name]).unwrap_or("");
    let batch_no = field("BatchNo");
    if !is_batch_no(batch_no) {
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
        let seq_in_range = seq_no
            .parse::<usize>()
            .is_ok_and(|n| (1..=MAX_LINES).contains(&n));
        if !seq_in_range
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
        let amount_fen = parse_yuan_to_fen(line_field("OrderAmount"))
            .ok()
            .filter(|fen| *fen > 0)
            .ok_or(Refusal::Field("OrderAmount"))?;
        if let Some(name) = bad_line_field(detail) {
            return Err(Refusal::Field(name));
        }
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

/// The SDK's checks on a line's other keys, each only when the line has it.
fn bad_line_field(line: &Value) -> Option<&'static str> {
    let present = |name: &str| text(line, &[name]);
    if present("CommodityType").is_some_and(|t| t.chars().count() != 4) {
        return Some("CommodityType");
    }
    if present("InstallmentMark").is_some_and(|t| !matches!(t, "0" | "1")) {
        return Some("InstallmentMark");
    }
    if present("ProductName").is_some_and(str::is_empty) {
        return Some("ProductName");
    }
    if present("IsBreakAccount").is_some_and(|t| !matches!(t, "0" | "1")) {
        return Some("IsBreakAccount");
    }
    None
}

/// `AgentBatchQuery` (TrxType, BatchNo, BatchDate): the batch and its lines. Lines are carried
/// out by the first query after the batch delay.
pub fn agent_batch_query(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    if !is_batch_no(field("BatchNo")) {
        return answer::bad_field(merchant_id, "BatchNo");
    }
    if !is_date(field("BatchDate")) {
        return answer::bad_field(merchant_id, "BatchDate");
    }
    let key = (
        merchant_id.to_string(),
        field("BatchNo").to_string(),
        field("BatchDate").to_string(),
    );
    let mut book = sim.mandates();
    let due = match book.batches.get(&key) {
        None => return answer::refusal(merchant_id, codes::BATCH_NOT_FOUND),
        Some(batch) => !batch.processed && batch.due_ms <= now_ms(),
    };
    if due && let Some(mut batch) = book.batches.remove(&key) {
        // Judged against the mandates as they stand now; booked in the order book.
        for line in &mut batch.lines {
            let taken = sim.orders().number_taken(merchant_id, &line.order_no);
            line.outcome = Some(if taken {
                Err(codes::DUPLICATE_ORDER)
            } else {
                let judged = judge(&book, merchant_id, &line.agent_sign_no);
                book_debit(sim, merchant_id, &line.order_no, line.amount_fen, judged)
            });
        }
        batch.processed = true;
        book.batches.insert(key.clone(), batch);
    }
    let Some(batch) = book.batches.get(&key) else {
        return answer::refusal(merchant_id, codes::BATCH_NOT_FOUND);
    };
    let details: Vec<Obj> = batch.lines.iter().map(line_result).collect();
    // Lines are carried out all at once, so a batch is never seen running.
    let (status, status_zh) = if batch.processed {
        (names::BATCH_FINISHED, "处理完成")
    } else {
        (names::BATCH_RECEIVED, "已接收")
    };
    answer::object(
        merchant_id,
        answer::head(merchant_id, "AgentBatchQuery", codes::SUCCESS)
            .s(names::BATCH_NO, &batch.batch_no)
            .s(names::BATCH_DATE, &batch.batch_date)
            .s("BatchStatus", status)
            .s("BatchStatusZH", status_zh)
            .s("CurrencyCode", "156")
            .s(names::AGENT_COUNT, &batch.lines.len().to_string())
            .s(names::AGENT_AMOUNT, &format_yuan(batch.total_fen))
            .list("AgentBatchDetail", details),
    )
}

/// One line of an AgentBatchQuery answer.
fn line_result(line: &BatchLine) -> Obj {
    let (status, status_zh, code, reason, serial, date, time) = match &line.outcome {
        None => (names::LINE_NOT_DONE, "未处理", "", "", "", "", ""),
        Some(Ok(payment)) => (
            names::LINE_PAID,
            "成功",
            "",
            "",
            payment.i_rsp_ref.as_str(),
            payment.host_date.as_str(),
            payment.host_time.as_str(),
        ),
        Some(Err((code, reason))) => (names::LINE_FAILED, "失败", *code, *reason, "", "", ""),
    };
    Obj::new()
        .s("SeqNo", &line.seq_no)
        .s(names::ORDER_NO, &line.order_no)
        .s(names::ORDER_AMOUNT, &format_yuan(line.amount_fen))
        .s(names::AGENT_SIGN_NO, &line.agent_sign_no)
        .s("OrderStatus", status)
        .s("OrderStatusZH", status_zh)
        .s(names::REASON_CODE, code)
        .s(names::REASON, reason)
        .s(names::I_RSP_REF, serial)
        .s(names::HOST_DATE, date)
        .s(names::HOST_TIME, time)
}
