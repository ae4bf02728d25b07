//! Refund batches and debit batches as the API answers them: the batch, and its lines when the
//! answer shows them (a replayed create answers the batch as first created, without them).

use super::text;
use std::borrow::Cow;
use unipay_api::{DebitBatchLine as DebitLineObject, RefundBatchLine as RefundLineObject};
use unipay_core::clock::rfc3339;
use unipay_core::payment::PaymentStatus;
use unipay_store::mandates::batches::{DebitBatch, DebitBatchLine};
use unipay_store::refunds::batch::{RefundBatch, RefundBatchLine};

pub fn refund_batch_object<'a>(
    batch: &'a RefundBatch,
    lines: Option<&'a [RefundBatchLine]>,
) -> unipay_api::RefundBatch<'a> {
    unipay_api::RefundBatch {
        id: Cow::Borrowed(&batch.id),
        out_batch_no: Cow::Borrowed(&batch.out_batch_no),
        status: Cow::Borrowed(batch.status.as_str()),
        line_count: batch.line_count,
        total_amount: batch.total_amount,
        succeeded_count: batch.succeeded_count,
        succeeded_amount: batch.succeeded_amount,
        failed_count: batch.failed_count,
        failed_amount: batch.failed_amount,
        reason: text(&batch.reason),
        created_at: rfc3339(batch.created_at),
        finished_at: batch.finished_at.map(rfc3339),
        lines: lines.map(|lines| lines.iter().map(refund_line).collect()),
    }
}

fn refund_line(line: &RefundBatchLine) -> RefundLineObject<'_> {
    RefundLineObject {
        seq_no: line.seq_no,
        refund_id: Cow::Borrowed(&line.refund_id),
        payment_id: Cow::Borrowed(&line.payment_id),
        out_refund_no: Cow::Borrowed(&line.out_refund_no),
        amount: line.amount,
        status: Cow::Borrowed(line.status.as_str()),
        channel_refund_no: text(&line.channel_refund_no),
        failure_reason: text(&line.failure_reason),
    }
}

/// A debit batch; with its lines, also what they came to (the batch row keeps no tally: each
/// line is a payment with its own status).
pub fn debit_batch_object<'a>(
    batch: &'a DebitBatch,
    lines: Option<&'a [DebitBatchLine]>,
) -> unipay_api::DebitBatch<'a> {
    let tally = |wanted: PaymentStatus| {
        let picked = lines
            .unwrap_or_default()
            .iter()
            .filter(|l| l.status == wanted);
        let count = i64::try_from(picked.clone().count()).unwrap_or(i64::MAX);
        (count, picked.map(|l| l.amount).sum::<i64>())
    };
    let (succeeded_count, succeeded_amount) = tally(PaymentStatus::Succeeded);
    let (failed_count, failed_amount) = tally(PaymentStatus::Failed);
    let with_lines = |value: i64| lines.map(|_| value);
    unipay_api::DebitBatch {
        id: Cow::Borrowed(&batch.id),
        out_batch_no: Cow::Borrowed(&batch.out_batch_no),
        status: Cow::Borrowed(batch.status.as_str()),
        line_count: batch.line_count,
        total_amount: batch.total_amount,
        reason: text(&batch.reason),
        created_at: rfc3339(batch.created_at),
        finished_at: batch.finished_at.map(rfc3339),
        succeeded_count: with_lines(succeeded_count),
        succeeded_amount: with_lines(succeeded_amount),
        failed_count: with_lines(failed_count),
        failed_amount: with_lines(failed_amount),
        lines: lines.map(|lines| lines.iter().map(debit_line).collect()),
    }
}

fn debit_line(line: &DebitBatchLine) -> DebitLineObject<'_> {
    DebitLineObject {
        seq_no: line.seq_no,
        payment_id: Cow::Borrowed(&line.payment_id),
        mandate_id: Cow::Borrowed(&line.mandate_id),
        out_trade_no: Cow::Borrowed(&line.out_trade_no),
        amount: line.amount,
        status: Cow::Borrowed(line.status.as_str()),
        channel_trade_no: text(&line.channel_trade_no),
        failure_reason: text(&line.failure_reason),
    }
}
