//! The bank's rules for one refund, shared by `Refund` and each line of a `BatchRefund`: the
//! number, the original order, what it took and what is left to give back.

use super::record::{Code, Refund, RefundOutcome};
use crate::book::{MAX_REFUNDS_PER_ORDER, OrderBook, OrderId};
use crate::codes;
use crate::faults::FaultCounter;
use crate::stamp::Stamp;
use std::sync::Arc;

/// One refund asked for, its fields already checked for shape.
#[derive(Debug, Clone)]
pub struct RefundAsk<'a> {
    pub merchant_id: &'a str,
    /// The original order.
    pub order_no: &'a str,
    pub new_order_no: &'a str,
    pub amount_fen: i64,
    pub order_date: &'a str,
    pub order_time: &'a str,
    pub batch_serial: Option<&'a Arc<str>>,
}

/// A refund the bank already holds under this NewOrderNo: `Ok` with a copy when the request
/// repeats it (same original order, same amount), the refusal when the number is taken by
/// something else. `None`: the number is new.
pub fn earlier(book: &OrderBook, ask: &RefundAsk<'_>) -> Option<Result<Refund, Code>> {
    let Some(id) = book.find_refund(ask.merchant_id, ask.new_order_no) else {
        return book
            .number_taken(ask.merchant_id, ask.new_order_no)
            .then_some(Err(codes::DUPLICATE_ORDER));
    };
    let order = book.get(id)?;
    let refund = order.refund(ask.new_order_no)?;
    let same = &*order.order_no == ask.order_no && refund.amount_fen == ask.amount_fen;
    Some(if same {
        Ok(refund.clone())
    } else {
        Err(codes::DUPLICATE_ORDER)
    })
}

/// Whether the original order can give back `ask.amount_fen` now.
fn refundable(book: &OrderBook, ask: &RefundAsk<'_>) -> Result<OrderId, Code> {
    let id = book
        .find(ask.merchant_id, ask.order_no)
        .ok_or(codes::ORDER_NOT_FOUND)?;
    let order = book.get(id).ok_or(codes::ORDER_NOT_FOUND)?;
    let base = order.refundable_base_fen().ok_or(codes::NOT_REFUNDABLE)?;
    if order.refunds.len() >= MAX_REFUNDS_PER_ORDER {
        return Err(codes::TOO_MANY_REFUNDS);
    }
    if order.refunded_fen().saturating_add(ask.amount_fen) > base {
        return Err(codes::OVER_REFUND);
    }
    Ok(id)
}

/// Carries out a new refund (the caller found no [`earlier`] one): checks the original order
/// and books the refund on it, stamped by `stamp` (called only for a refund that happens, so
/// refusals use up no serial numbers). `unknown_until_ms`: see [`RefundOutcome`].
pub fn take(
    book: &mut OrderBook,
    ask: &RefundAsk<'_>,
    stamp: impl FnOnce() -> Stamp,
    unknown_until_ms: Option<i64>,
) -> Result<Refund, Code> {
    let id = refundable(book, ask)?;
    let refund = record(
        ask,
        RefundOutcome::Succeeded {
            stamp: stamp(),
            unknown_until_ms,
        },
    );
    if book.add_refund(id, refund.clone()) {
        Ok(refund)
    } else {
        Err(codes::ORDER_NOT_FOUND)
    }
}

/// Keeps a refused batch line on its order, so that Query of its NewOrderNo answers `99` and
/// a repeat gets the same refusal. Only when the line can be kept: the order exists, the number
/// is free, and the order has room.
pub fn keep_failure(book: &mut OrderBook, ask: &RefundAsk<'_>, code: Code) {
    if book.number_taken(ask.merchant_id, ask.new_order_no) {
        return;
    }
    let Some(id) = book.find(ask.merchant_id, ask.order_no) else {
        return;
    };
    let has_room = book
        .get(id)
        .is_some_and(|order| order.refunds.len() < MAX_REFUNDS_PER_ORDER);
    if has_room {
        book.add_refund(id, record(ask, RefundOutcome::Failed { code }));
    }
}

fn record(ask: &RefundAsk<'_>, outcome: RefundOutcome) -> Refund {
    Refund {
        new_order_no: ask.new_order_no.into(),
        amount_fen: ask.amount_fen,
        order_date: ask.order_date.to_string(),
        order_time: ask.order_time.to_string(),
        outcome,
        batch_serial: ask.batch_serial.cloned(),
        query_count: 0,
        query_faults: FaultCounter::default(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::book::{NotifyType, Order, Status};

    fn paid_order(no: &str, amount_fen: i64) -> Order {
        Order {
            merchant_id: "M".into(),
            order_no: no.into(),
            amount_fen,
            pay_type_id: "ImmediatePay".into(),
            order_date: "2026/11/27".into(),
            order_time: "09:00:00".into(),
            payment_type: "A".into(),
            notify_type: NotifyType::Server,
            notify_url: "http://m/n".into(),
            merchant_remarks: String::new(),
            token: format!("t-{no}").into(),
            status: Status::Paid,
            payment: None,
            query_count: 0,
            query_faults: FaultCounter::default(),
            refund_faults: FaultCounter::default(),
            notify_attempts: 0,
            notify_acknowledged: false,
            notify_log: Vec::new(),
            lost_calls: Vec::new(),
            statement_fault: None,
            refunds: Vec::new(),
            preauth: None,
        }
    }

    fn stamp() -> Stamp {
        Stamp {
            i_rsp_ref: "R".into(),
            voucher_no: "V".into(),
            batch_no: "261127".into(),
            host_date: "2026/11/27".into(),
            host_time: "10:00:00".into(),
            accounting_date: "2026/11/27".into(),
        }
    }

    fn ask<'a>(order_no: &'a str, new_order_no: &'a str, amount_fen: i64) -> RefundAsk<'a> {
        RefundAsk {
            merchant_id: "M",
            order_no,
            new_order_no,
            amount_fen,
            order_date: "2026/11/27",
            order_time: "10:00:00",
            batch_serial: None,
        }
    }

    #[test]
    fn refunds_never_exceed_what_was_paid() {
        let mut book = OrderBook::new(10);
        book.insert(paid_order("O1", 1000));
        assert!(earlier(&book, &ask("O1", "R1", 600)).is_none());
        take(&mut book, &ask("O1", "R1", 600), stamp, None).unwrap();
        assert_eq!(
            take(&mut book, &ask("O1", "R2", 401), stamp, None).unwrap_err(),
            codes::OVER_REFUND
        );
        take(&mut book, &ask("O1", "R2", 400), stamp, None).unwrap();
        assert_eq!(
            take(&mut book, &ask("O1", "R3", 1), stamp, None).unwrap_err(),
            codes::OVER_REFUND
        );
        assert_eq!(
            take(&mut book, &ask("O9", "R4", 1), stamp, None).unwrap_err(),
            codes::ORDER_NOT_FOUND
        );
        let id = book.find("M", "O1").unwrap();
        assert_eq!(book.get(id).unwrap().status_code(0), "05");
    }

    #[test]
    fn a_number_repeats_only_with_the_same_content() {
        let mut book = OrderBook::new(10);
        book.insert(paid_order("O1", 1000));
        book.insert(paid_order("O2", 1000));
        take(&mut book, &ask("O1", "R1", 100), stamp, None).unwrap();
        assert_eq!(
            earlier(&book, &ask("O1", "R1", 100))
                .unwrap()
                .unwrap()
                .amount_fen,
            100
        );
        for other in [
            ask("O1", "R1", 101),
            ask("O2", "R1", 100),
            ask("O1", "O2", 5),
        ] {
            assert_eq!(
                earlier(&book, &other).unwrap().unwrap_err(),
                codes::DUPLICATE_ORDER
            );
        }
        keep_failure(&mut book, &ask("O2", "R2", 5), codes::INSUFFICIENT_FUNDS);
        let id = book.find_refund("M", "R2").unwrap();
        assert_eq!(book.get(id).unwrap().refunded_fen(), 0);
        // A failure under a taken number is not kept twice.
        keep_failure(&mut book, &ask("O2", "R1", 5), codes::INSUFFICIENT_FUNDS);
        assert_eq!(book.get(id).unwrap().refunds.len(), 1);
    }
}
