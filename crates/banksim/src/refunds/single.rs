//! `Refund`: one refund of a paid (or confirmed pre-authorized) order, answered at once, subject
//! to the `refund` fault (`lost`: the request is noted on its order as never processed).

use super::record::{Code, Refund, RefundStatus};
use super::rules::{self, RefundAsk};
use crate::answer;
use crate::clock::now_china;
use crate::codes;
use crate::faults::{DEFAULT_QUERY_HOLD_MS, RefundFault};
use crate::fields::{chars_at_most, is_date, is_optional_currency, is_time};
use crate::ids::is_order_no;
use crate::lost_call;
use crate::messages::{self, refund::RefundRequest, refund::RefundResponse};
use crate::stamp::Stamp;
use crate::state::SimState;
use crate::trx::Reply;
use serde_json::Value;
use std::time::Duration;
use unipay_core::money::{Amount, format_yuan};

const TRX: &str = "Refund";
const MAX_ACCOUNT_CHARS: usize = 64;
const MAX_REMARKS_CHARS: usize = 100;

pub fn refund(sim: &SimState, merchant_id: &str, request: &Value) -> Reply {
    let Ok(fields) = messages::read::<RefundRequest>(request) else {
        return Reply::Message(answer::bad_field(merchant_id, "TrxRequest"));
    };
    let amount_fen = match validate(&fields) {
        Ok(amount_fen) => amount_fen,
        Err(field) => return Reply::Message(answer::bad_field(merchant_id, field)),
    };
    let ask = RefundAsk {
        merchant_id,
        order_no: &fields.order_no,
        new_order_no: &fields.new_order_no,
        amount_fen,
        order_date: &fields.order_date,
        order_time: &fields.order_time,
        batch_serial: None,
    };
    let (faults, generation) = sim.faults_with_generation();
    let now = now_china();
    let (fault, result) = {
        let mut book = sim.orders_current();
        let order = book
            .find(merchant_id, ask.order_no)
            .and_then(|id| book.get_mut(id));
        let nth = order.map_or(1, |order| order.count_refund(generation));
        let fault = faults.refund_fault(nth);
        let result = match rules::earlier(&book, &ask) {
            // It never reached the bank: nothing is judged, nothing done.
            _ if fault == Some(RefundFault::Lost) => Err(codes::UNKNOWN),
            Some(found) => found.and_then(|refund| repeat(refund, now.timestamp_millis())),
            // A refusal by the bank: nothing is done.
            None if fault == Some(RefundFault::Reject) => Err(codes::INSUFFICIENT_FUNDS),
            None => rules::take(&mut book, &ask, || Stamp::new(sim, now), None),
        };
        (fault, result)
    };
    if fault == Some(RefundFault::Lost) {
        lost_call::note(sim, merchant_id, request, "refund_lost", false);
    }
    // Unless lost, the refund above happened (or was refused) whatever becomes of its answer.
    match fault {
        Some(RefundFault::Timeout | RefundFault::Lost) => {
            let hold = faults.refund_timeout_ms.unwrap_or(DEFAULT_QUERY_HOLD_MS);
            Reply::Hold(Duration::from_millis(hold))
        }
        Some(RefundFault::Unknown) => Reply::Message(answer::refusal(merchant_id, codes::UNKNOWN)),
        Some(RefundFault::Reject) | None => Reply::Message(match result {
            Ok(refund) => success(merchant_id, &fields.order_no, &refund),
            Err(code) => answer::refusal(merchant_id, code),
        }),
    }
}

/// The answer to a repeat is the first one's: the same stamp, or the same refusal of a batch
/// line; a batch line not yet reported is still unknown.
fn repeat(refund: Refund, now_ms: i64) -> Result<Refund, Code> {
    if let Some(code) = refund.failure() {
        return Err(code);
    }
    match refund.status(now_ms) {
        RefundStatus::Unknown => Err(codes::UNKNOWN),
        RefundStatus::Succeeded | RefundStatus::Failed => Ok(refund),
    }
}

/// The amount in fen, or the name of the first bad field.
fn validate(fields: &RefundRequest) -> Result<i64, &'static str> {
    if !is_date(&fields.order_date) {
        return Err("OrderDate");
    }
    if !is_time(&fields.order_time) {
        return Err("OrderTime");
    }
    if !chars_at_most(&fields.mer_refund_account_no, MAX_ACCOUNT_CHARS) {
        return Err("MerRefundAccountNo");
    }
    if !chars_at_most(&fields.mer_refund_account_name, MAX_ACCOUNT_CHARS) {
        return Err("MerRefundAccountName");
    }
    if !is_order_no(&fields.order_no) {
        return Err("OrderNo");
    }
    if !is_order_no(&fields.new_order_no) {
        return Err("NewOrderNo");
    }
    if !is_optional_currency(&fields.currency_code) {
        return Err("CurrencyCode");
    }
    let amount = Amount::parse_yuan(&fields.trx_amount).map_err(|_| "TrxAmount")?;
    if !chars_at_most(&fields.merchant_remarks, MAX_REMARKS_CHARS) {
        return Err("MerchantRemarks");
    }
    Ok(amount.fen())
}

fn success(merchant_id: &str, order_no: &str, refund: &Refund) -> String {
    let Some(stamp) = refund.stamp() else {
        return answer::refusal(merchant_id, codes::UNKNOWN);
    };
    answer::message(
        merchant_id,
        RefundResponse {
            return_code: codes::SUCCESS.0.to_string(),
            error_message: codes::SUCCESS.1.to_string(),
            ec_merchant_type: "EBUS".to_string(),
            merchant_id: merchant_id.to_string(),
            trx_type: TRX.to_string(),
            order_no: order_no.to_string(),
            new_order_no: refund.new_order_no.to_string(),
            trx_amount: format_yuan(refund.amount_fen),
            batch_no: stamp.batch_no.clone(),
            voucher_no: stamp.voucher_no.clone(),
            host_date: stamp.host_date.clone(),
            host_time: stamp.host_time.clone(),
            i_rsp_ref: stamp.i_rsp_ref.clone(),
        },
    )
}
