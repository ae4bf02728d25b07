//! `GET /sim/orders/{OrderNo}`: an order as the bank holds it. Besides the PayReq's fields and
//! the payment: `refunds` (each with its own status), `refunded_fen` (done refunds, reported or
//! not), `refundable_fen` (what may still be refunded; `null` when nothing was taken),
//! `preauth` (a PreAuthPay order's authorization and its confirmation or cancellation) and
//! `lost_calls` (requests about it a fault left unanswered, and whether they were processed).

use crate::book::{Order, REFUNDED_CODE, Status};
use crate::preauth::record::PreAuthOp;
use crate::refunds::record::Refund;
use crate::state::SimState;
use serde_json::{Value, json};
use unipay_core::money::format_yuan;

fn state_name(order: &Order, status_code: &str) -> &'static str {
    if status_code == REFUNDED_CODE {
        return "refunded";
    }
    match order.status {
        Status::Unpaid => "unpaid",
        Status::Paid => "paid",
        Status::Failed => "failed",
        Status::Authorized => "authorized",
        Status::Confirmed => "confirmed",
        Status::Cancelled => "cancelled",
    }
}

pub fn order_json(sim: &SimState, order: &Order, now_ms: i64) -> Value {
    let payment = order.payment.as_ref();
    let status_code = order.status_code(now_ms);
    let refunded_fen = order.refunded_fen();
    json!({
        "merchant_id": &*order.merchant_id,
        "order_no": &*order.order_no,
        "amount_fen": order.amount_fen,
        "amount": format_yuan(order.amount_fen),
        "status": status_code,
        "state": state_name(order, status_code),
        "pay_type_id": order.pay_type_id,
        "order_date": order.order_date,
        "order_time": order.order_time,
        "payment_url": format!("{}/ebus/PaymentModeNewAct.ebf?TOKEN={}", sim.public_url, order.token),
        "i_rsp_ref": payment.map(|p| &p.i_rsp_ref),
        "voucher_no": payment.map(|p| &p.voucher_no),
        "host_date": payment.map(|p| &p.host_date),
        "host_time": payment.map(|p| &p.host_time),
        "accounting_date": payment.map(|p| &p.accounting_date),
        "pay_type": payment.map(|p| p.pay_type),
        "notify_type": order.notify_type.code(),
        "notify_url": &*order.notify_url,
        "notify_attempts": order.notify_attempts,
        "notify_acknowledged": order.notify_acknowledged,
        "notify_log": order.notify_log,
        "lost_calls": order.lost_calls,
        "query_count": order.query_count,
        "statement_fault": order.statement_fault,
        "refunded_fen": refunded_fen,
        "refundable_fen": order.refundable_base_fen().map(|base| base.saturating_sub(refunded_fen)),
        "refunds": order.refunds.iter().map(|refund| refund_json(refund, now_ms)).collect::<Vec<_>>(),
        "preauth": preauth_json(order),
    })
}

fn refund_json(refund: &Refund, now_ms: i64) -> Value {
    let stamp = refund.stamp();
    let status = refund.status(now_ms);
    let failure = refund.failure();
    json!({
        "new_order_no": &*refund.new_order_no,
        "amount_fen": refund.amount_fen,
        "amount": format_yuan(refund.amount_fen),
        "state": status.name(),
        "status": status.query_code(),
        "reason_code": failure.map(|(code, _)| code),
        "reason": failure.map(|(_, text)| text),
        "order_date": refund.order_date,
        "order_time": refund.order_time,
        "batch_serial_number": refund.batch_serial.as_deref(),
        "i_rsp_ref": stamp.map(|s| &s.i_rsp_ref),
        "voucher_no": stamp.map(|s| &s.voucher_no),
        "host_date": stamp.map(|s| &s.host_date),
        "host_time": stamp.map(|s| &s.host_time),
        "accounting_date": stamp.map(|s| &s.accounting_date),
        "query_count": refund.query_count,
    })
}

/// `null` for an order that is no pre-authorization.
fn preauth_json(order: &Order) -> Value {
    if order.pay_type_id != crate::preauth::rules::PRE_AUTH_PAY {
        return Value::Null;
    }
    let state = match order.status {
        Status::Unpaid => "unpaid",
        Status::Failed => "failed",
        Status::Authorized | Status::Paid => "authorized",
        Status::Confirmed => "confirmed",
        Status::Cancelled => "cancelled",
    };
    let authorized = order.status != Status::Unpaid && order.status != Status::Failed;
    json!({
        "state": state,
        "authorized_fen": authorized.then_some(order.amount_fen),
        "captured_fen": (order.status == Status::Confirmed)
            .then(|| order.preauth.as_ref().map(|op| op.amount_fen)),
        "operation": order.preauth.as_ref().map(operation_json),
    })
}

fn operation_json(operation: &PreAuthOp) -> Value {
    let stamp = &operation.stamp;
    json!({
        "operate_type": operation.operate_type.name(),
        "order_no": &*operation.order_no,
        "amount_fen": operation.amount_fen,
        "amount": format_yuan(operation.amount_fen),
        "fee_fen": operation.fee_fen,
        "i_rsp_ref": stamp.i_rsp_ref,
        "voucher_no": stamp.voucher_no,
        "host_date": stamp.host_date,
        "host_time": stamp.host_time,
        "accounting_date": stamp.accounting_date,
    })
}
