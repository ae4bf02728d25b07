//! `QueryBatchRefund`: where each line of a batch stands, and the batch's totals. The lines are
//! copied under the book's lock; the answer (up to 10,000 lines, about a megabyte) is written
//! and signed without it.

use super::batch_book::{Batch, BatchLine, LineOutcome};
use crate::answer;
use crate::clock::now_ms;
use crate::codes;
use crate::fields::{is_date, is_time};
use crate::ids::is_order_no;
use crate::messages::{
    self,
    batch::{BatchRefundLineResult, QueryBatchRefundRequest, QueryBatchRefundResponse},
};
use crate::state::SimState;
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
    answer::message(merchant_id, response)
}

fn validate(fields: &QueryBatchRefundRequest) -> Result<(), &'static str> {
    if !is_date(&fields.batch_date) {
        return Err("BatchDate");
    }
    if !is_time(&fields.batch_time) {
        return Err("BatchTime");
    }
    if !is_order_no(&fields.serial_number) {
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

fn response(merchant_id: &str, batch: &Batch, now_ms: i64) -> QueryBatchRefundResponse {
    let (mut succeeded, mut failed) = (Tally::default(), Tally::default());
    let (mut any_pending, mut any_unknown) = (false, false);
    let lines: Vec<BatchRefundLineResult> = batch
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
    QueryBatchRefundResponse {
        return_code: codes::SUCCESS.0.to_string(),
        error_message: codes::SUCCESS.1.to_string(),
        ec_merchant_type: "EBUS".to_string(),
        merchant_id: merchant_id.to_string(),
        trx_type: TRX.to_string(),
        batch_no: batch.batch_no.clone(),
        batch_date: batch.batch_date.clone(),
        batch_time: batch.batch_time.clone(),
        serial_number: batch.serial_number.to_string(),
        batch_status: batch_status.to_string(),
        refund_count: batch.lines.len().to_string(),
        refund_amount: format_yuan(batch.total_fen),
        success_count: succeeded.count.to_string(),
        success_amount: format_yuan(succeeded.fen),
        failed_count: failed.count.to_string(),
        failed_amount: format_yuan(failed.fen),
        order_data: lines,
    }
}

fn line_result(line: &BatchLine, status: &str) -> BatchRefundLineResult {
    let (reason_code, reason) = match line.outcome {
        Some(LineOutcome::Failed { code: (code, text) }) => (code, text),
        _ => ("", ""),
    };
    BatchRefundLineResult {
        seq_no: line.seq_no.clone(),
        order_no: line.order_no.to_string(),
        new_order_no: line.new_order_no.to_string(),
        currency_code: "156".to_string(),
        refund_amount: format_yuan(line.amount_fen),
        status: status.to_string(),
        reason_code: reason_code.to_string(),
        reason: reason.to_string(),
    }
}
