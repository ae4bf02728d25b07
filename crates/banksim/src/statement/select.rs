//! Which transactions a statement holds: the requesting merchant's payments the bank holds as
//! paid (and captured pre-authorizations), as its books show them (statement faults applied),
//! and its successful refunds once the bank reports them, picked by accounting date or by host
//! hours, sorted by bank time.

use super::fee::fee_fen;
use super::line::{Line, LineKind};
use super::misreport;
use crate::book::{Order, OrderBook, Status};
use crate::refunds::record::{Refund, RefundStatus};
use crate::stamp::Stamp;
use chrono::{NaiveDate, NaiveDateTime, Timelike};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `Settle`: the lines booked on this accounting date.
    AccountingDate(NaiveDate),
    /// `QueryTrnxRecords`: the lines whose host time is on `date`, hours `start..=end`.
    HostHours {
        date: NaiveDate,
        start: u32,
        end: u32,
    },
}

impl Scope {
    fn holds(self, line: &Line) -> bool {
        match self {
            Scope::AccountingDate(date) => line.accounting_date == date,
            Scope::HostHours { date, start, end } => {
                line.bank_time.date() == date && (start..=end).contains(&line.bank_time.hour())
            }
        }
    }
}

/// The lines of one statement at `now_ms`. Walks the whole book under its lock: statements
/// are rare next to payments, and the copy is all that happens under it.
pub fn lines(
    book: &OrderBook,
    merchant_id: &str,
    scope: Scope,
    fee_bps: u32,
    now_ms: i64,
) -> Vec<Line> {
    let mut lines: Vec<Line> = book
        .iter()
        .filter(|order| &*order.merchant_id == merchant_id)
        .flat_map(|order| {
            let payment = payment_line(order, fee_bps)
                .and_then(|line| misreport::apply(line, order.statement_fault, fee_bps));
            let refunds = order
                .refunds
                .iter()
                .filter_map(move |refund| refund_line(order, refund, now_ms));
            payment.into_iter().chain(refunds)
        })
        .filter(|line| scope.holds(line))
        .collect();
    // Bank time has whole seconds; the bank serial orders payments within one second.
    lines.sort_by(|a, b| (a.bank_time, &a.i_rsp_ref).cmp(&(b.bank_time, &b.i_rsp_ref)));
    lines
}

/// The true line of a paid order, or of a confirmed pre-authorization: the capture, with the
/// confirmation's stamp. The host date, time and accounting date were written by
/// [`crate::settle`] and [`Stamp`] in the protocol's formats, so they always read back.
fn payment_line(order: &Order, fee_bps: u32) -> Option<Line> {
    if order.status == Status::Confirmed {
        let capture = order.preauth.as_ref()?;
        return stamped_line(
            LineKind::Payment,
            order,
            order.order_no.clone(),
            capture.amount_fen,
            &capture.stamp,
            fee_bps,
        );
    }
    if order.status != Status::Paid {
        return None;
    }
    let payment = order.payment.as_ref()?;
    let host = format!("{} {}", payment.host_date, payment.host_time);
    let bank_time = NaiveDateTime::parse_from_str(&host, "%Y/%m/%d %H:%M:%S").ok()?;
    let accounting_date = NaiveDate::parse_from_str(&payment.accounting_date, "%Y/%m/%d").ok()?;
    Some(Line {
        kind: LineKind::Payment,
        merchant_id: order.merchant_id.clone(),
        order_no: order.order_no.clone(),
        original_order_no: None,
        bank_time,
        amount_fen: order.amount_fen,
        fee_fen: fee_fen(order.amount_fen, fee_bps),
        accounting_date,
        i_rsp_ref: payment.i_rsp_ref.clone(),
        voucher_no: payment.voucher_no.clone(),
        corrupt: false,
    })
}

/// A successful refund the bank reports at `now_ms`, under its NewOrderNo. **Assumed**: the
/// bank keeps the fee it took on the payment and charges none on the refund, so the line's
/// fee is zero.
fn refund_line(order: &Order, refund: &Refund, now_ms: i64) -> Option<Line> {
    if refund.status(now_ms) != RefundStatus::Succeeded {
        return None;
    }
    stamped_line(
        LineKind::Refund,
        order,
        refund.new_order_no.clone(),
        refund.amount_fen,
        refund.stamp()?,
        0,
    )
}

fn stamped_line(
    kind: LineKind,
    order: &Order,
    number: std::sync::Arc<str>,
    amount_fen: i64,
    stamp: &Stamp,
    fee_bps: u32,
) -> Option<Line> {
    Some(Line {
        kind,
        merchant_id: order.merchant_id.clone(),
        order_no: number,
        original_order_no: (kind == LineKind::Refund).then(|| order.order_no.clone()),
        bank_time: stamp.bank_time()?,
        amount_fen,
        fee_fen: fee_fen(amount_fen, fee_bps),
        accounting_date: stamp.accounting()?,
        i_rsp_ref: stamp.i_rsp_ref.clone(),
        voucher_no: stamp.voucher_no.clone(),
        corrupt: false,
    })
}
