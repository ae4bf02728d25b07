//! The batch refunds the bank holds: each accepted BatchRefund with its lines and what became of
//! each. Kept in the order book (one lock: processing a batch changes its lines and the orders
//! together) and bounded: the oldest batches go beyond [`MAX_BATCHES`] or [`MAX_LINES_KEPT`].

use super::record::Code;
use crate::faults::batch::LineFault;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// Batches kept at most.
pub const MAX_BATCHES: usize = 1_000;
/// Lines of all kept batches together at most: a hundred full batches.
pub const MAX_LINES_KEPT: usize = 1_000_000;

/// What processing made of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOutcome {
    /// Refunded; `unknown_until_ms`: reported as `2` until then (the `no_response` fault).
    Succeeded {
        unknown_until_ms: Option<i64>,
    },
    Failed {
        code: Code,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchLine {
    pub seq_no: String,
    pub order_no: Arc<str>,
    pub new_order_no: Arc<str>,
    pub amount_fen: i64,
    /// The line's Remark, told back by QueryBatchRefund.
    pub remark: String,
    /// The batch fault that marked the line when the batch was accepted.
    pub fault: Option<LineFault>,
    /// `None` until the batch is processed: status `X`.
    pub outcome: Option<LineOutcome>,
}

impl BatchLine {
    /// The line's status at `now_ms`: `X`, `0`, `1` or `2`.
    pub fn status(&self, now_ms: i64) -> &'static str {
        match self.outcome {
            None => "X",
            Some(LineOutcome::Failed { .. }) => "1",
            Some(LineOutcome::Succeeded {
                unknown_until_ms: Some(until),
            }) if now_ms < until => "2",
            Some(LineOutcome::Succeeded { .. }) => "0",
        }
    }

    /// What the merchant asked for, without what the bank made of it: to recognise a repeat.
    pub fn same_request(&self, other: &BatchLine) -> bool {
        self.seq_no == other.seq_no
            && self.order_no == other.order_no
            && self.new_order_no == other.new_order_no
            && self.amount_fen == other.amount_fen
    }
}

#[derive(Debug, Clone)]
pub struct Batch {
    pub merchant_id: Arc<str>,
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    /// The account the refunds are paid from, as the merchant named it (told back by
    /// QueryBatchRefund).
    pub account_no: String,
    pub account_name: String,
    /// The bank's number for it.
    pub serial_number: Arc<str>,
    /// When the bank accepted it.
    pub host_date: String,
    pub host_time: String,
    pub total_fen: i64,
    pub lines: Vec<BatchLine>,
    /// Unix ms from which its lines are processed.
    pub due_ms: i64,
    /// How long a `no_response` line stays `2` after processing.
    pub no_response_ms: u64,
    pub processed: bool,
}

/// A batch without its lines: what the BatchRefund answer tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchHead {
    pub batch_no: String,
    pub batch_date: String,
    pub batch_time: String,
    pub serial_number: Arc<str>,
    pub host_date: String,
    pub host_time: String,
    pub line_count: usize,
    pub total_fen: i64,
    pub due_ms: i64,
}

impl Batch {
    pub fn head(&self) -> BatchHead {
        BatchHead {
            batch_no: self.batch_no.clone(),
            batch_date: self.batch_date.clone(),
            batch_time: self.batch_time.clone(),
            serial_number: self.serial_number.clone(),
            host_date: self.host_date.clone(),
            host_time: self.host_time.clone(),
            line_count: self.lines.len(),
            total_fen: self.total_fen,
            due_ms: self.due_ms,
        }
    }

    /// Whether `other` (not yet accepted) asks for exactly what this batch asked for.
    pub fn same_request(&self, other: &Batch) -> bool {
        self.batch_time == other.batch_time
            && self.total_fen == other.total_fen
            && self.lines.len() == other.lines.len()
            && self
                .lines
                .iter()
                .zip(&other.lines)
                .all(|(a, b)| a.same_request(b))
    }
}

/// A batch's lines taken out for processing, and what processing needs of the batch.
#[derive(Debug)]
pub struct Work {
    pub merchant_id: Arc<str>,
    pub serial_number: Arc<str>,
    pub batch_date: String,
    pub batch_time: String,
    pub no_response_ms: u64,
    pub lines: Vec<BatchLine>,
}

/// The merchant's name for a batch: BatchNo is unique per merchant and BatchDate.
type BatchKey = (Arc<str>, String, String);

#[derive(Debug, Default)]
pub struct Batches {
    by_serial: HashMap<Arc<str>, Batch>,
    by_number: HashMap<BatchKey, Arc<str>>,
    /// Not yet processed, in acceptance order. Every batch waits the same delay, so this is
    /// also the order they fall due in.
    pending: VecDeque<Arc<str>>,
    /// Every kept batch, oldest first, for eviction.
    age: VecDeque<Arc<str>>,
    lines_kept: usize,
}

impl Batches {
    pub fn get(&self, serial_number: &str) -> Option<&Batch> {
        self.by_serial.get(serial_number)
    }

    /// The merchant's batch with this SerialNumber.
    pub fn find(&self, merchant_id: &str, serial_number: &str) -> Option<&Batch> {
        self.get(serial_number)
            .filter(|batch| &*batch.merchant_id == merchant_id)
    }

    pub fn find_by_number(
        &self,
        merchant_id: &str,
        batch_no: &str,
        batch_date: &str,
    ) -> Option<&Batch> {
        let key: BatchKey = (
            merchant_id.into(),
            batch_no.to_string(),
            batch_date.to_string(),
        );
        self.by_number
            .get(&key)
            .and_then(|serial| self.by_serial.get(serial))
    }

    /// Every batch kept, oldest first (for the state file).
    pub fn iter(&self) -> impl Iterator<Item = &Batch> {
        self.age
            .iter()
            .filter_map(|serial| self.by_serial.get(serial))
    }

    /// Adds a batch (the caller checked its number is new).
    pub fn insert(&mut self, batch: Batch) {
        let serial = batch.serial_number.clone();
        let key: BatchKey = (
            batch.merchant_id.clone(),
            batch.batch_no.clone(),
            batch.batch_date.clone(),
        );
        self.lines_kept = self.lines_kept.saturating_add(batch.lines.len());
        self.by_number.insert(key, serial.clone());
        self.by_serial.insert(serial.clone(), batch);
        self.pending.push_back(serial.clone());
        self.age.push_back(serial);
    }

    /// The oldest unprocessed batch if it is due at `now_ms`, taken off the queue.
    pub fn pop_due(&mut self, now_ms: i64) -> Option<Arc<str>> {
        let serial = self.pending.front()?;
        let due = self
            .by_serial
            .get(serial)
            .is_none_or(|batch| batch.due_ms <= now_ms);
        if due { self.pending.pop_front() } else { None }
    }

    /// The oldest unprocessed batch, due or not, taken off the queue: for eviction, which
    /// processes a batch early rather than lose its refunds.
    pub fn pop_pending(&mut self) -> Option<Arc<str>> {
        self.pending.pop_front()
    }

    /// Takes an unprocessed batch's lines out to process them, with what processing needs of
    /// the batch; `None` when it is gone or done.
    pub fn take_lines(&mut self, serial_number: &str) -> Option<Work> {
        let batch = self.by_serial.get_mut(serial_number)?;
        if batch.processed {
            return None;
        }
        Some(Work {
            merchant_id: batch.merchant_id.clone(),
            serial_number: batch.serial_number.clone(),
            batch_date: batch.batch_date.clone(),
            batch_time: batch.batch_time.clone(),
            no_response_ms: batch.no_response_ms,
            lines: std::mem::take(&mut batch.lines),
        })
    }

    /// Puts processed lines back.
    pub fn finish(&mut self, serial_number: &str, lines: Vec<BatchLine>) {
        if let Some(batch) = self.by_serial.get_mut(serial_number) {
            batch.lines = lines;
            batch.processed = true;
        }
    }

    /// Whether the kept batches are over the bounds.
    pub fn over_limit(&self) -> bool {
        self.by_serial.len() > MAX_BATCHES || self.lines_kept > MAX_LINES_KEPT
    }

    /// The oldest batch: whether it is processed, and its serial.
    pub fn oldest(&self) -> Option<(bool, Arc<str>)> {
        let serial = self.age.front()?;
        let processed = self
            .by_serial
            .get(serial)
            .is_none_or(|batch| batch.processed);
        Some((processed, serial.clone()))
    }

    /// Forgets the oldest batch (the caller processed it first).
    pub fn drop_oldest(&mut self) {
        let Some(serial) = self.age.pop_front() else {
            return;
        };
        self.pending.retain(|pending| *pending != serial);
        if let Some(batch) = self.by_serial.remove(&serial) {
            self.lines_kept = self.lines_kept.saturating_sub(batch.lines.len());
            self.by_number
                .remove(&(batch.merchant_id, batch.batch_no, batch.batch_date));
        }
    }

    pub fn len(&self) -> usize {
        self.by_serial.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_serial.is_empty()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn batch(serial: &str, due_ms: i64, lines: usize) -> Batch {
        Batch {
            merchant_id: "M".into(),
            batch_no: format!("B{serial}"),
            batch_date: "2026/11/27".into(),
            batch_time: "10:00:00".into(),
            account_no: String::new(),
            account_name: String::new(),
            serial_number: serial.into(),
            host_date: "2026/11/27".into(),
            host_time: "10:00:00".into(),
            total_fen: 0,
            lines: (0..lines)
                .map(|n| BatchLine {
                    seq_no: n.to_string(),
                    order_no: "O".into(),
                    new_order_no: format!("R{n}").into(),
                    amount_fen: 1,
                    remark: String::new(),
                    fault: None,
                    outcome: None,
                })
                .collect(),
            due_ms,
            no_response_ms: 0,
            processed: false,
        }
    }

    #[test]
    fn batches_fall_due_in_order_and_are_found_by_both_names() {
        let mut batches = Batches::default();
        batches.insert(batch("S1", 100, 2));
        batches.insert(batch("S2", 200, 1));
        assert!(batches.find("M", "S1").is_some());
        assert!(batches.find("N", "S1").is_none());
        assert_eq!(
            batches
                .find_by_number("M", "BS2", "2026/11/27")
                .map(|b| &*b.serial_number),
            Some("S2")
        );
        assert_eq!(batches.pop_due(99), None);
        assert_eq!(batches.pop_due(150).as_deref(), Some("S1"));
        assert_eq!(batches.pop_due(150), None);
        let work = batches.take_lines("S1").unwrap();
        assert_eq!((&*work.merchant_id, work.lines.len()), ("M", 2));
        batches.finish("S1", work.lines);
        assert!(batches.take_lines("S1").is_none(), "processed once");
        assert_eq!(batches.oldest(), Some((true, "S1".into())));
        batches.drop_oldest();
        assert_eq!(batches.len(), 1);
        assert!(batches.find_by_number("M", "BS1", "2026/11/27").is_none());
        assert_eq!(batches.oldest(), Some((false, "S2".into())));
    }

    #[test]
    fn line_status_follows_the_outcome_and_the_clock() {
        let mut line = batch("S", 0, 1).lines.remove(0);
        assert_eq!(line.status(0), "X");
        line.outcome = Some(LineOutcome::Succeeded {
            unknown_until_ms: Some(10),
        });
        assert_eq!((line.status(9), line.status(10)), ("2", "0"));
        line.outcome = Some(LineOutcome::Failed {
            code: crate::codes::OVER_REFUND,
        });
        assert_eq!(line.status(0), "1");
    }
}
