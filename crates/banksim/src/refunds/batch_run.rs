//! Processing batch refunds. A batch falls due `batch_refund_delay_ms` after it was accepted;
//! then each line, in the order sent, is carried out like a single Refund (same rules, same
//! codes), unless the batch fault marked it. Whoever looks at the book first after that moment
//! does the work ([`crate::state::Inner::orders_current`]): a timer started at acceptance, or
//! a query that comes sooner. So a merchant that polls after the delay always sees final lines.

use super::batch_book::{BatchLine, LineOutcome, Work};
use super::record::{Refund, RefundOutcome};
use super::rules::{self, RefundAsk};
use crate::book::OrderBook;
use crate::codes;
use crate::faults::batch::LineFault;
use crate::stamp::Stamp;
use crate::state::Inner;
use chrono::{DateTime, FixedOffset};
use std::collections::HashSet;
use std::sync::Arc;

/// Batches evicted per call at most, so one request never does unbounded work.
const EVICTION_BUDGET: usize = 16;

/// Processes every batch due at `now`.
pub fn run_due(book: &mut OrderBook, sim: &Inner, now: DateTime<FixedOffset>) {
    while let Some(serial) = book.batches.pop_due(now.timestamp_millis()) {
        process(book, sim, &serial, now);
    }
}

/// Drops the oldest batches beyond the bounds. One not yet processed is processed first, early:
/// losing refunds the bank accepted would be worse than answering sooner.
pub fn evict(book: &mut OrderBook, sim: &Inner, now: DateTime<FixedOffset>) {
    for _ in 0..EVICTION_BUDGET {
        if !book.batches.over_limit() {
            return;
        }
        let Some((processed, serial)) = book.batches.oldest() else {
            return;
        };
        if !processed {
            process(book, sim, &serial, now);
        }
        book.batches.drop_oldest();
    }
}

fn process(book: &mut OrderBook, sim: &Inner, serial_number: &str, now: DateTime<FixedOffset>) {
    let Some(mut work) = book.batches.take_lines(serial_number) else {
        return;
    };
    let mut lines = std::mem::take(&mut work.lines);
    let no_response_ms = i64::try_from(work.no_response_ms).unwrap_or(i64::MAX);
    let until = now.timestamp_millis().saturating_add(no_response_ms);
    let mut seen: HashSet<Arc<str>> = HashSet::with_capacity(lines.len());
    for line in &mut lines {
        let outcome = if seen.insert(line.new_order_no.clone()) {
            process_line(book, sim, &work, line, now, until)
        } else {
            // The batch itself repeats the number: the first line has it.
            LineOutcome::Failed {
                code: codes::DUPLICATE_ORDER,
            }
        };
        line.outcome = Some(outcome);
    }
    book.batches.finish(serial_number, lines);
}

fn process_line(
    book: &mut OrderBook,
    sim: &Inner,
    work: &Work,
    line: &BatchLine,
    now: DateTime<FixedOffset>,
    no_response_until_ms: i64,
) -> LineOutcome {
    let ask = RefundAsk {
        merchant_id: &work.merchant_id,
        order_no: &line.order_no,
        new_order_no: &line.new_order_no,
        amount_fen: line.amount_fen,
        order_date: &work.batch_date,
        order_time: &work.batch_time,
        batch_serial: Some(&work.serial_number),
    };
    let result = match rules::earlier(book, &ask) {
        // A line repeating an earlier refund reports that refund, as a repeated Refund would.
        Some(Ok(refund)) => return reported(&refund),
        Some(Err(code)) => Err(code),
        None if line.fault == Some(LineFault::Fail) => Err(codes::INSUFFICIENT_FUNDS),
        None => {
            let until = (line.fault == Some(LineFault::NoResponse)).then_some(no_response_until_ms);
            rules::take(book, &ask, || Stamp::new(sim, now), until)
        }
    };
    match result {
        Ok(refund) => reported(&refund),
        Err(code) => {
            rules::keep_failure(book, &ask, code);
            LineOutcome::Failed { code }
        }
    }
}

fn reported(refund: &Refund) -> LineOutcome {
    match &refund.outcome {
        RefundOutcome::Succeeded {
            unknown_until_ms, ..
        } => LineOutcome::Succeeded {
            unknown_until_ms: *unknown_until_ms,
        },
        RefundOutcome::Failed { code } => LineOutcome::Failed { code: *code },
    }
}
