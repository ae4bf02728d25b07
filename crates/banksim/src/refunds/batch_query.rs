//! `QueryBatchRefund`: where each line of a batch stands, and the batch's totals. The lines are
//! copied under the book's lock; the answer (a batch fits in 8,000 bytes, so some fifty lines) is written
//! and signed without it.

use super::batch_book::{Batch, BatchLine, LineOutcome};
use crate::answer;
use crate::clock::now_ms;
use crate::codes;
use crate::fields::{is_date, is_time};
use crate::ids::is_order_no;
use crate::messages::{self, batch::QueryBatchRefundRequest};
use crate::state::SimState;
use crate::wire::json::Obj;
use crate::wire::names as wire;
use serde_json::Value;
use unipay_core::money::format_yuan;

const TRX: &str = "QueryBatchRefund";

pub fn query_batch_refund(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let Ok(fields) = messages::read::<QueryBatchRefundRequest>(request) else {
        return answer::bad_field(merchant_id, "TrxRequest");
    };
    if let Err(field) = validate(&fields) {
        return answer::bad_field(merchant_id, field);
    }
    let response = {
        let book = sim.orders_current();
        let batch = book
            .batches
            .find(merchant_id, &fields.serial_number)
            .filter(|batch| names(batch, &fields));
        match batch {
            Some(batch) => response(merchant_id, batch, now_ms()),
            None => return answer::refusal(merchant_id, codes::BATCH_NOT_FOUND),
        }
    };
    answer::object(merchant_id, response)
}

fn validate(fields: &QueryBatchRefundRequest) -> Result<(), &'static str> {
    if !is_date(&fields.batch_date) {
        return Err("BatchDate");
    }
    if !is_time(&fields.batch_time) {
        return Err("BatchTime");
    }
    if !is_order_no(&fields.serial_number) || fields.serial_number.len() > 20 {
        return Err("SerialNumber");
    }
    if !fields.batch_no.is_empty() && !is_order_no(&fields.batch_no) {
        return Err("BatchNo");
    }
    Ok(())
}

/// The request names this batch: its date and time, and its number when one is given.
fn names(batch: &Batch, fields: &QueryBatchRefundRequest) -> bool {
    batch.batch_date == fields.batch_date
        && batch.batch_time == fields.batch_time
        && (fields.batch_no.is_empty() || batch.batch_no == fields.batch_no)
}

#[derive(Default)]
struct Tally {
    count: u64,
    fen: i64,
}

impl Tally {
    fn add(&mut self, fen: i64) {
        self.count = self.count.saturating_add(1);
        self.fen = self.fen.saturating_add(fen);
    }
}

/// The answer: the SDK's MerRefundAccountNo, MerRefundAccountName and `Order[…]`, with the
/// assumed batch status, counts and sums (see [`crate::wire::names`]).
fn response(merchant_id: &str, batch: &Batch, now_ms: i64) -> Obj {
    let (mut succeeded, mut failed) = (Tally::default(), Tally::default());
    let (mut any_pending, mut any_unknown) = (false, false);
    let lines: Vec<Obj> = batch
        .lines
        .iter()
        .map(|line| {
            let status = line.status(now_ms);
            match status {
                "0" => succeeded.add(line.amount_fen),
                "1" => failed.add(line.amount_fen),
                "2" => any_unknown = true,
                _ => any_pending = true,
            }
            line_result(line, status)
        })
        .collect();
    let batch_status = if any_pending {
        "X"
    } else if any_unknown {
        "2"
    } else {
        "0"
    };
    answer::head(merchant_id, TRX, codes::SUCCESS)
        .s(wire::BATCH_NO, &batch.batch_no)
        .s(wire::BATCH_STATUS, batch_status)
        .s(wire::REFUND_COUNT, &batch.lines.len().to_string())
        .s(wire::REFUND_AMOUNT, &format_yuan(batch.total_fen))
        .s(wire::SUCCESS_COUNT, &succeeded.count.to_string())
        .s(wire::SUCCESS_AMOUNT, &format_yuan(succeeded.fen))
        .s(wire::FAILED_COUNT, &failed.count.to_string())
        .s(wire::FAILED_AMOUNT, &format_yuan(failed.fen))
        .s("MerRefundAccountNo", &batch.account_no)
        .s("MerRefundAccountName", &batch.account_name)
        .list("Order", lines)
}

/// One line: the SDK's names, and why a failed line failed (assumed).
fn line_result(line: &BatchLine, status: &str) -> Obj {
    let (reason_code, reason) = match line.outcome {
        Some(LineOutcome::Failed { code: (code, text) }) => (code, text),
        _ => ("", ""),
    };
    Obj::new()
        .s("OriginalOrderNo", &line.order_no)
        .s("RefundOrderNo", &line.new_order_no)
        .s("CurrencyCode", "156")
        .s("RefundAmountCell", &format_yuan(line.amount_fen))
        .s("OrderStatus", status)
        .s("Remark", &scanner_safe(&line.remark))
        .s(wire::REASON_CODE, reason_code)
        .s(wire::REASON, reason)
}

/// The merchant's free text without what the real client's naive JSON scanner (no escapes,
/// stops at `}`) would misread.
fn scanner_safe(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '"' | '\\' | '{' | '}') && !c.is_control())
        .collect()
}
