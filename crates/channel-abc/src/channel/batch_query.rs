//! QueryBatchRefund: where each line of an accepted batch stands. The answer lists every line
//! (up to 10,000), so it may be megabytes: it is read under its own size limit.

use super::account::AbcAccount;
use super::answer;
use super::pay::{unfit, valid_order_no};
use super::request;
use super::statement::protocol_date;
use crate::messages::{
    BatchRefundLineResult, LINE_FAILED, LINE_NO_RESPONSE, LINE_PENDING, LINE_SUCCEEDED,
    QueryBatchRefundRequest, QueryBatchRefundResponse,
};
use crate::wire::MAX_BATCH_ANSWER_BYTES;
use unipay_core::Amount;
use unipay_core::channel::{
    BatchLineResult, BatchLineStatus, BatchRef, BatchRefundResult, ChannelError,
};

pub(super) fn request_body(
    account: &AbcAccount,
    batch: &BatchRef,
) -> Result<Vec<u8>, ChannelError> {
    if !valid_order_no(&batch.serial_number) {
        return Err(unfit("invalid batch serial number"));
    }
    let batch_time = chrono::NaiveTime::parse_from_str(&batch.batch_time, "%H:%M:%S")
        .ok()
        .filter(|_| batch.batch_time.len() == 8)
        .map(|_| batch.batch_time.clone())
        .ok_or_else(|| unfit(format!("{:?} is not a time HH:MM:SS", batch.batch_time)))?;
    let trx = QueryBatchRefundRequest {
        trx_type: "QueryBatchRefund".to_string(),
        batch_date: protocol_date(&batch.batch_date)?,
        batch_time,
        serial_number: batch.serial_number.clone(),
    };
    request::signed(account, trx)
}

/// `0000` → each line's state; any other code is an error (`2321`: no such batch; `EUNKWN`:
/// ask again).
pub(super) fn read_answer(
    account: &AbcAccount,
    batch: &BatchRef,
    body: &[u8],
) -> Result<BatchRefundResult, ChannelError> {
    let (message, success) = answer::open_checked_large::<QueryBatchRefundResponse>(
        account,
        body,
        "QueryBatchRefund",
        MAX_BATCH_ANSWER_BYTES,
    )?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    let echoes = [
        ("SerialNumber", &r.serial_number, &batch.serial_number),
        ("BatchNo", &r.batch_no, &batch.batch_no),
    ];
    for (field, answered, ours) in echoes {
        if !answered.is_empty() && !ours.is_empty() && answered.trim() != ours {
            return Err(ChannelError::BadAnswer(format!(
                "answer's {field} {answered:?} is not ours ({ours:?})"
            )));
        }
    }
    // A count that disagrees with the list means lines went missing on the way.
    let count = r.refund_count.trim();
    if !count.is_empty() && count.parse::<usize>().ok() != Some(r.lines.len()) {
        return Err(ChannelError::BadAnswer(format!(
            "answer counts {count} lines and lists {}",
            r.lines.len()
        )));
    }
    // The bank books a batch's lines when it takes the batch in: the batch's own time, by the
    // account's cut-over, is the day its statement lists them on.
    let booked_on =
        super::time::parse_beijing(&protocol_date(&batch.batch_date)?, &batch.batch_time)
            .and_then(|at_ms| super::time::accounting_date(at_ms, account.cutover_hour));
    let lines = r
        .lines
        .iter()
        .map(|l| line(l, booked_on.as_deref()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BatchRefundResult {
        lines,
        raw: super::raw_message(body),
    })
}

fn line(
    l: &BatchRefundLineResult,
    booked_on: Option<&str>,
) -> Result<BatchLineResult, ChannelError> {
    let bad = |what: String| {
        ChannelError::BadAnswer(format!("batch line {:?}: {what}", l.refund_order_no))
    };
    let refund_no = l.refund_order_no.trim();
    if refund_no.is_empty() {
        return Err(bad("no RefundOrderNo".to_string()));
    }
    let amount = Amount::parse_yuan(l.refund_amount_cell.trim())
        .map_err(|e| bad(format!("RefundAmountCell: {e}")))?;
    let status_code = l.order_status.trim();
    let (status, reason) = match status_code {
        LINE_PENDING => (BatchLineStatus::Pending, String::new()),
        LINE_SUCCEEDED => (BatchLineStatus::Succeeded, String::new()),
        LINE_FAILED => (
            BatchLineStatus::Failed,
            format!("{} {}", l.reason_code.trim(), l.reason.trim())
                .trim()
                .to_string(),
        ),
        LINE_NO_RESPONSE => (
            BatchLineStatus::NoResponse,
            "ABC line status 2: no response from the host yet".to_string(),
        ),
        // Not final as far as we can tell: asked again later, never taken as done.
        other => (
            BatchLineStatus::NoResponse,
            format!("unknown ABC line status {other:?}"),
        ),
    };
    let accounting_date = (status == BatchLineStatus::Succeeded)
        .then(|| booked_on.map(str::to_string))
        .flatten();
    Ok(BatchLineResult {
        refund_no: refund_no.to_string(),
        amount,
        status,
        reason,
        accounting_date,
    })
}
