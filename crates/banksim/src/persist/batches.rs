//! The file's form of the batch refunds: each batch with its lines, their fault marks and
//! outcomes, so that QueryBatchRefund finds a batch after a restart. (The refunds the lines
//! made are kept on their orders, see [`super::records`].)

use crate::codes;
use crate::faults::batch::LineFault;
use crate::refunds::batch_book::{Batch, BatchLine, Batches, LineOutcome};
use crate::refunds::record::Code;
use anyhow::Context;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchRecord {
    merchant_id: String,
    batch_no: String,
    batch_date: String,
    batch_time: String,
    account_no: String,
    account_name: String,
    serial_number: String,
    host_date: String,
    host_time: String,
    total_fen: i64,
    lines: Vec<LineRecord>,
    due_ms: i64,
    no_response_ms: u64,
    processed: bool,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineRecord {
    seq_no: String,
    order_no: String,
    new_order_no: String,
    amount_fen: i64,
    remark: String,
    /// `fail` or `no_response`: the batch fault that marked it.
    fault: Option<String>,
    /// `succeeded` or `failed`; none while not processed.
    outcome: Option<String>,
    unknown_until_ms: Option<i64>,
    failure: Option<String>,
}

/// Every code a batch line can fail with.
const LINE_CODES: [Code; 7] = [
    codes::DUPLICATE_ORDER,
    codes::ORDER_NOT_FOUND,
    codes::NOT_REFUNDABLE,
    codes::OVER_REFUND,
    codes::TOO_MANY_REFUNDS,
    codes::INSUFFICIENT_FUNDS,
    codes::ORDER_FINAL,
];

fn line_record(line: &BatchLine) -> LineRecord {
    let (outcome, unknown_until_ms, failure) = match line.outcome {
        None => (None, None, None),
        Some(LineOutcome::Succeeded { unknown_until_ms }) => {
            (Some("succeeded"), unknown_until_ms, None)
        }
        Some(LineOutcome::Failed { code }) => (Some("failed"), None, Some(code.0.to_string())),
    };
    LineRecord {
        seq_no: line.seq_no.clone(),
        order_no: line.order_no.to_string(),
        new_order_no: line.new_order_no.to_string(),
        amount_fen: line.amount_fen,
        remark: line.remark.clone(),
        fault: line.fault.map(|fault| {
            match fault {
                LineFault::Fail => "fail",
                LineFault::NoResponse => "no_response",
            }
            .to_string()
        }),
        outcome: outcome.map(str::to_string),
        unknown_until_ms,
        failure,
    }
}

fn line(record: LineRecord) -> anyhow::Result<BatchLine> {
    let fault = match record.fault.as_deref() {
        None => None,
        Some("fail") => Some(LineFault::Fail),
        Some("no_response") => Some(LineFault::NoResponse),
        Some(other) => anyhow::bail!("line {}: unknown fault {other:?}", record.seq_no),
    };
    let outcome = match (record.outcome.as_deref(), record.failure.as_deref()) {
        (None, _) => None,
        (Some("succeeded"), None) => Some(LineOutcome::Succeeded {
            unknown_until_ms: record.unknown_until_ms,
        }),
        (Some("failed"), Some(code)) => Some(LineOutcome::Failed {
            code: LINE_CODES
                .into_iter()
                .find(|known| known.0 == code)
                .with_context(|| format!("line {}: unknown code {code:?}", record.seq_no))?,
        }),
        _ => anyhow::bail!("line {}: unreadable outcome", record.seq_no),
    };
    Ok(BatchLine {
        seq_no: record.seq_no,
        order_no: record.order_no.into(),
        new_order_no: record.new_order_no.into(),
        amount_fen: record.amount_fen,
        remark: record.remark,
        fault,
        outcome,
    })
}

impl BatchRecord {
    pub fn of(batch: &Batch) -> BatchRecord {
        BatchRecord {
            merchant_id: batch.merchant_id.to_string(),
            batch_no: batch.batch_no.clone(),
            batch_date: batch.batch_date.clone(),
            batch_time: batch.batch_time.clone(),
            account_no: batch.account_no.clone(),
            account_name: batch.account_name.clone(),
            serial_number: batch.serial_number.to_string(),
            host_date: batch.host_date.clone(),
            host_time: batch.host_time.clone(),
            total_fen: batch.total_fen,
            lines: batch.lines.iter().map(line_record).collect(),
            due_ms: batch.due_ms,
            no_response_ms: batch.no_response_ms,
            processed: batch.processed,
        }
    }

    /// Puts the batch back; one not yet processed is processed when it falls due, as before.
    pub fn restore(self, batches: &mut Batches) -> anyhow::Result<()> {
        let serial = self.serial_number.clone();
        let lines = self
            .lines
            .into_iter()
            .map(line)
            .collect::<anyhow::Result<Vec<_>>>()
            .with_context(|| format!("batch {serial}"))?;
        batches.insert(Batch {
            merchant_id: self.merchant_id.into(),
            batch_no: self.batch_no,
            batch_date: self.batch_date,
            batch_time: self.batch_time,
            account_no: self.account_no,
            account_name: self.account_name,
            serial_number: self.serial_number.into(),
            host_date: self.host_date,
            host_time: self.host_time,
            total_fen: self.total_fen,
            lines,
            due_ms: self.due_ms,
            no_response_ms: self.no_response_ms,
            processed: self.processed,
        });
        Ok(())
    }
}
