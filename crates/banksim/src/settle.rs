//! The consumer's decision: an order becomes paid (a PreAuthPay order: authorized) or failed,
//! stamped with the bank's serial, host date and time, and accounting date.

use crate::book::{NotifyType, Order, OrderId, Payment, Status};
use crate::clock::{accounting_date, now_china, protocol_date, protocol_time};
use crate::preauth::rules::PRE_AUTH_PAY;
use crate::state::Inner;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Decline,
}

impl Outcome {
    /// The status the consumer's decision gives an order of `pay_type_id`: paying for a
    /// pre-authorization authorizes it.
    fn status(self, pay_type_id: &str) -> Status {
        match self {
            Outcome::Success if pay_type_id == PRE_AUTH_PAY => Status::Authorized,
            Outcome::Success => Status::Paid,
            Outcome::Decline => Status::Failed,
        }
    }

    /// The decision that led to `status`; `None` while the consumer has not decided. What the
    /// merchant did afterwards (confirm, cancel, refund) does not change it.
    pub fn of(status: Status) -> Option<Outcome> {
        match status {
            Status::Unpaid => None,
            Status::Paid | Status::Authorized | Status::Confirmed | Status::Cancelled => {
                Some(Outcome::Success)
            }
            Status::Failed => Some(Outcome::Decline),
        }
    }
}

/// Everything a result notification about one order needs, copied out of the book so the
/// signing happens without the lock.
#[derive(Debug, Clone)]
pub struct Notice {
    pub id: OrderId,
    pub outcome: Outcome,
    pub merchant_id: Arc<str>,
    pub order_no: Arc<str>,
    pub amount_fen: i64,
    pub merchant_remarks: String,
    pub notify_url: Arc<str>,
    /// What the merchant asked for in its PayReq.
    pub notify_type: NotifyType,
    pub payment: Payment,
}

impl Notice {
    /// The notice of an order the consumer has decided on.
    pub fn of(id: OrderId, order: &Order) -> Option<Notice> {
        let outcome = Outcome::of(order.status)?;
        Some(Notice {
            id,
            outcome,
            merchant_id: order.merchant_id.clone(),
            order_no: order.order_no.clone(),
            amount_fen: order.amount_fen,
            merchant_remarks: order.merchant_remarks.clone(),
            notify_url: order.notify_url.clone(),
            notify_type: order.notify_type,
            payment: order.payment.clone()?,
        })
    }
}

#[derive(Debug)]
pub enum SettleError {
    NotFound,
    /// Already final with the other outcome.
    Conflict(Status),
}

/// Marks the order paid (a pre-authorization: authorized) or failed. Settling again with the
/// same outcome changes nothing (a consumer pressing the button twice) and returns the same
/// notice. The flag is `true` when this call made the change.
pub fn settle(sim: &Inner, id: OrderId, outcome: Outcome) -> Result<(Notice, bool), SettleError> {
    let now = now_china();
    let mut book = sim.orders();
    let order = book.get_mut(id).ok_or(SettleError::NotFound)?;
    let fresh = order.status == Status::Unpaid;
    if fresh {
        order.status = outcome.status(&order.pay_type_id);
        order.payment = Some(Payment {
            i_rsp_ref: sim.serials.bank_serial(),
            voucher_no: match outcome {
                Outcome::Success => sim.serials.voucher(),
                Outcome::Decline => String::new(),
            },
            batch_no: now.format("%y%m%d").to_string(),
            host_date: protocol_date(now.date_naive()),
            host_time: protocol_time(now),
            accounting_date: protocol_date(accounting_date(now, sim.cutover_hour)),
            pay_type: pay_type(&order.payment_type),
        });
    } else if Outcome::of(order.status) != Some(outcome) {
        return Err(SettleError::Conflict(order.status));
    }
    let notice = Notice::of(id, order).ok_or(SettleError::NotFound)?;
    Ok((notice, fresh))
}

/// The notification's PayType for the PayReq's PaymentType. **Assumed** codes (only `EP001` is
/// seen in public material); "A" (any) is settled as an ABC debit card.
fn pay_type(payment_type: &str) -> &'static str {
    match payment_type {
        "3" => "EP003",
        "6" => "EP006",
        "7" => "EP007",
        _ => "EP001",
    }
}
