//! `BatchRefund`: the bank checks the batch as a whole and accepts it at once; its lines are
//! processed later (see [`super::batch_run`]) and reported by `QueryBatchRefund`.
//!
//! A batch is refused as a whole (`2101` naming the field) when any field or line is malformed,
//! and (`2320`) when TotalCount or TotalAmount is not that of its lines. A line that breaks a
//! refund rule does not stop the batch: it fails on its own with status `1`. Repeating a
//! batch (same merchant, BatchNo and BatchDate, same content) answers as the first time; the
//! same BatchNo and BatchDate with other content is refused (`2322`).

use super::batch_book::{Batch, BatchHead, BatchLine};
use super::batch_run;
use crate::answer;
use crate::clock::{now_china, protocol_date, protocol_time};
use crate::codes;
use crate::faults::batch::BatchFaults;
use crate::fields::{chars_at_most, is_date, is_time};
use crate::ids::is_order_no;
use crate::messages;
use crate::messages::batch::{BatchRefundLine, BatchRefundRequest, BatchRefundResponse};
use crate::state::SimState;
use chrono::{DateTime, FixedOffset};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;
use unipay_core::money::{Amount, format_yuan, parse_yuan_to_fen};

const TRX: &str = "BatchRefund";
/// Lines one batch may hold (the protocol's limit).
pub const MAX_BATCH_LINES: usize = 10_000;
const MAX_SEQ_NO_DIGITS: usize = 10;
const MAX_ACCOUNT_CHARS: usize = 64;
const MAX_REMARK_CHARS: usize = 100;
/// Past the due time before the timer looks, so the wall clock has certainly reached it.
const TIMER_MARGIN: Duration = Duration::from_millis(2);

pub fn batch_refund(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let Ok(fields) = messages::read::<BatchRefundRequest>(request) else {
        return answer::bad_field(merchant_id, "TrxRequest");
    };
    let batch = match validate(merchant_id, &fields) {
        Ok(batch) => batch,
        Err(Refusal::Field(field)) => return answer::bad_field(merchant_id, field),
        Err(Refusal::Mismatch) => return answer::refusal(merchant_id, codes::BATCH_MISMATCH),
    };
    let now = now_china();
    let faults = sim.batch_faults();
    let accepted = {
        let mut book = sim.orders_current();
        let earlier = book
            .batches
            .find_by_number(merchant_id, &batch.batch_no, &batch.batch_date);
        match earlier {
            Some(earlier) if earlier.same_request(&batch) => Ok((earlier.head(), false)),
            Some(_) => Err(codes::DUPLICATE_BATCH),
            None if faults.refuses_batch(batch.lines.iter().map(|l| l.seq_no.as_str())) => {
                Err(codes::BATCH_REFUSED)
            }
            None => {
                let batch = mark_faults(&faults, stamp(sim, batch, now));
                let head = batch.head();
                book.batches.insert(batch);
                batch_run::evict(&mut book, sim, now);
                Ok((head, true))
            }
        }
    };
    match accepted {
        Ok((head, fresh)) => {
            if fresh {
                start_timer(sim, head.due_ms);
            }
            answer::message(merchant_id, response(merchant_id, &head))
        }
        Err(code) => answer::refusal(merchant_id, code),
    }
}

enum Refusal {
    Field(&'static str),
    Mismatch,
}

/// The batch as the merchant asked for it, not yet stamped by the bank.
fn validate(merchant_id: &str, fields: &BatchRefundRequest) -> Result<Batch, Refusal> {
    let field = Refusal::Field;
    // The SDK's limit on a refund BatchNo.
    if !is_order_no(&fields.batch_no) || fields.batch_no.len() > 20 {
        return Err(field("BatchNo"));
    }
    if !is_date(&fields.batch_date) {
        return Err(field("BatchDate"));
    }
    if !is_time(&fields.batch_time) {
        return Err(field("BatchTime"));
    }
    if !chars_at_most(&fields.mer_refund_account_no, MAX_ACCOUNT_CHARS) {
        return Err(field("MerRefundAccountNo"));
    }
    if !chars_at_most(&fields.mer_refund_account_name, MAX_ACCOUNT_CHARS) {
        return Err(field("MerRefundAccountName"));
    }
    let total_count = fields
        .total_count
        .parse::<usize>()
        .ok()
        .filter(|count| (1..=MAX_BATCH_LINES).contains(count) && is_digits(&fields.total_count))
        .ok_or(field("TotalCount"))?;
    let total_fen = parse_yuan_to_fen(&fields.total_amount)
        .ok()
        .filter(|fen| *fen > 0)
        .ok_or(field("TotalAmount"))?;
    if fields.order_data.is_empty() || fields.order_data.len() > MAX_BATCH_LINES {
        return Err(field("OrderData"));
    }
    let lines = lines(&fields.order_data).map_err(field)?;
    let sum = lines
        .iter()
        .map(|line| line.amount_fen)
        .fold(0i64, i64::saturating_add);
    if total_count != lines.len() || total_fen != sum {
        return Err(Refusal::Mismatch);
    }
    Ok(Batch {
        merchant_id: merchant_id.into(),
        batch_no: fields.batch_no.clone(),
        batch_date: fields.batch_date.clone(),
        batch_time: fields.batch_time.clone(),
        account_no: fields.mer_refund_account_no.clone(),
        account_name: fields.mer_refund_account_name.clone(),
        serial_number: "".into(),
        host_date: String::new(),
        host_time: String::new(),
        total_fen,
        lines,
        due_ms: 0,
        no_response_ms: 0,
        processed: false,
    })
}

fn lines(data: &[BatchRefundLine]) -> Result<Vec<BatchLine>, &'static str> {
    let mut seq_nos = HashSet::with_capacity(data.len());
    data.iter()
        .map(|line| {
            let seq_ok = (1..=MAX_SEQ_NO_DIGITS).contains(&line.seq_no.len())
                && is_digits(&line.seq_no)
                && seq_nos.insert(line.seq_no.as_str());
            if !seq_ok {
                return Err("SeqNo");
            }
            if !is_order_no(&line.order_no) {
                return Err("OrderNo");
            }
            if !is_order_no(&line.new_order_no) {
                return Err("NewOrderNo");
            }
            if line.currency_code != "156" {
                return Err("CurrencyCode");
            }
            let amount = Amount::parse_yuan(&line.refund_amount)
                .ok()
                .filter(|amount| amount.fen() > 0)
                .ok_or("RefundAmount")?;
            if !chars_at_most(&line.remark, MAX_REMARK_CHARS) {
                return Err("Remark");
            }
            Ok(BatchLine {
                seq_no: line.seq_no.clone(),
                order_no: line.order_no.as_str().into(),
                new_order_no: line.new_order_no.as_str().into(),
                amount_fen: amount.fen(),
                remark: line.remark.clone(),
                fault: None,
                outcome: None,
            })
        })
        .collect()
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// The bank's serial, acceptance time and due time.
fn stamp(sim: &SimState, mut batch: Batch, now: DateTime<FixedOffset>) -> Batch {
    let delay_ms = i64::try_from(sim.batch_refund_delay.as_millis()).unwrap_or(i64::MAX);
    batch.serial_number = sim.serials.bank_serial().into();
    batch.host_date = protocol_date(now.date_naive());
    batch.host_time = protocol_time(now);
    batch.due_ms = now.timestamp_millis().saturating_add(delay_ms);
    batch
}

/// The batch fault as it stands at acceptance marks the lines; later changes do not reach this
/// batch.
fn mark_faults(faults: &BatchFaults, mut batch: Batch) -> Batch {
    if faults.is_empty() {
        return batch;
    }
    batch.no_response_ms = faults.no_response_ms();
    for line in &mut batch.lines {
        line.fault = faults.line_fault(&line.order_no, &line.new_order_no);
    }
    batch
}

/// Makes sure the batch is processed when it falls due even if nobody asks. Outside a Tokio
/// runtime (a synchronous caller of [`crate::trx::handle`]) the next look at the book does it.
fn start_timer(sim: &SimState, due_ms: i64) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let wait_ms = due_ms.saturating_sub(crate::clock::now_ms()).max(0);
    let wait = Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)) + TIMER_MARGIN;
    let sim = sim.clone();
    runtime.spawn(async move {
        if sim.sleep(wait).await {
            drop(sim.orders_current());
        }
    });
}

fn response(merchant_id: &str, batch: &BatchHead) -> BatchRefundResponse {
    BatchRefundResponse {
        return_code: codes::SUCCESS.0.to_string(),
        error_message: codes::SUCCESS.1.to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: merchant_id.to_string(),
        trx_type: TRX.to_string(),
        batch_no: batch.batch_no.clone(),
        batch_date: batch.batch_date.clone(),
        batch_time: batch.batch_time.clone(),
        total_count: batch.line_count.to_string(),
        total_amount: format_yuan(batch.total_fen),
        serial_number: batch.serial_number.to_string(),
        host_date: batch.host_date.clone(),
        host_time: batch.host_time.clone(),
    }
}
