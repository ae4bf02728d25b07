//! The matching itself: a [`StatementSink`] that meets each statement line with our record of
//! the same kind and number as the parser streams it, and keeps only what differs.
//!
//! Lines are held back in small batches (their texts copied into one reused buffer) and looked
//! up a batch at a time, in phases: first every line's index slot is read, then every line's
//! record, and only then is each line judged, in line order. The reads of one phase do not wait
//! on each other, so their trips to memory overlap; one line at a time, each line would wait
//! for two trips in turn, and memory latency, not work, would set the pace.

use std::collections::HashSet;

use super::batch::{Batch, Pending};
use super::bitset::Bitset;
use super::classify::classify;
use super::index::Index;
use super::key;
use super::outcome::{BankFacts, ClassCounts, DiffClass, Difference, ReconOutcome, SideTotals};
use super::table::{PlatformTable, Record};
use crate::statement::{StatementLine, StatementSink, TxnKind, UnreadableLine};

pub struct Reconciler {
    table: PlatformTable,
    index: Index,
    /// Rows a statement line has met, whatever the class it ended in.
    met: Bitset,
    batch: Batch,
    bank: SideTotals,
    matched: SideTotals,
    classes: ClassCounts,
    differences: Vec<Difference>,
    unreadable: Vec<UnreadableLine>,
    /// Numbers of `bank_only` lines that met no record, to tell a repeat of one.
    unknown: HashSet<(u128, Option<String>)>,
}

/// What a number is looked up by.
fn identity_of(kind: TxnKind, order_no: &str) -> (u128, bool) {
    match key::pack(kind, order_no) {
        Some(packed) => (packed, false),
        None => (key::fallback_identity(kind, order_no), true),
    }
}

impl Reconciler {
    /// Indexes `table` using every core the machine offers.
    pub fn new(table: PlatformTable) -> Reconciler {
        let threads = std::thread::available_parallelism().map_or(1, |cores| cores.get());
        Reconciler::with_threads(table, threads)
    }

    /// Indexes `table` on at most `threads` threads (1: on this one).
    pub fn with_threads(table: PlatformTable, threads: usize) -> Reconciler {
        let index = Index::build(table.len(), &|row| table.slot_hash(row), threads);
        let met = Bitset::new(table.len());
        Reconciler {
            table,
            index,
            met,
            batch: Batch::new(),
            bank: SideTotals::default(),
            matched: SideTotals::default(),
            classes: ClassCounts::default(),
            differences: Vec::new(),
            unreadable: Vec::new(),
            unknown: HashSet::new(),
        }
    }

    pub fn table(&self) -> &PlatformTable {
        &self.table
    }

    /// Bytes held by the table, the index and the met-bits (differences not included).
    pub fn heap_bytes(&self) -> usize {
        self.table.heap_bytes() + self.index.heap_bytes() + self.met.heap_bytes()
    }

    /// Ends the statement: every record no line met is `platform_only`.
    pub fn finish(mut self) -> ReconOutcome {
        self.flush();
        let unmet: Vec<usize> = self.met.clear_indices().collect();
        for row in unmet {
            let row = row as u32;
            let (Some(facts), Some(kind), Some(order_no)) = (
                self.table.facts(row),
                self.table.kind(row),
                self.table.key_of(row),
            ) else {
                continue;
            };
            // A record pushed twice: lookups only ever meet the first of the two.
            let (identity, fallback) = identity_of(kind, &order_no);
            let duplicate = self.find(identity, fallback, &order_no) != Some(row);
            self.classes.add(DiffClass::PlatformOnly);
            self.differences.push(Difference {
                class: DiffClass::PlatformOnly,
                kind,
                order_no,
                bank: None,
                platform: Some(facts),
                duplicate,
            });
        }
        ReconOutcome {
            bank: self.bank,
            platform: self.table.totals(),
            matched: self.matched,
            classes: self.classes,
            differences: self.differences,
            unreadable: self.unreadable,
        }
    }

    fn find(&self, identity: u128, fallback: bool, order_no: &str) -> Option<u32> {
        let hash = key::slot_hash(identity);
        self.index.find(hash, self.index.home(hash), |row| {
            self.table
                .record(row)
                .is_some_and(|record| self.is_match(&record, identity, fallback, order_no))
        })
    }

    fn is_match(&self, record: &Record, identity: u128, fallback: bool, order_no: &str) -> bool {
        key::identity(record.key) == identity
            && (!fallback || self.table.fallback_text(record.key) == Some(order_no))
    }

    /// Looks up and judges the held-back lines, in line order.
    fn flush(&mut self) {
        let mut batch = std::mem::take(&mut self.batch);
        // Phase 1: every line's home slot, read before any is used. The loops of the reading
        // phases are kept this bare so that the processor can have many reads on their way.
        let mut touched = 0u64;
        for line in &batch.lines {
            touched ^= self.index.touch(line.home);
        }
        // Phase 2: the first row with the line's fingerprint (its slot is in cache by now)...
        for line in &batch.lines {
            let candidate = self.index.find(line.hash, line.home, |_| true);
            batch.candidates.push(candidate);
        }
        // ... and that row's record and its met-bit, read before any is used.
        for row in batch.candidates.iter().flatten() {
            touched ^= self.table.touch(*row) ^ self.met.word(*row as usize);
        }
        std::hint::black_box(touched);
        // Phase 3: judge each line.
        for at in 0..batch.lines.len() {
            let (Some(line), Some(candidate)) = (batch.lines.get(at), batch.candidates.get(at))
            else {
                continue;
            };
            let texts = batch.texts(at);
            let row = match candidate.map(|row| (row, self.table.record(row))) {
                None => None,
                Some((row, Some(record)))
                    if self.is_match(&record, line.identity, line.fallback, texts[0]) =>
                {
                    Some(row)
                }
                // The fingerprint met another number: walk the rest of the run.
                Some(_) => self.find(line.identity, line.fallback, texts[0]),
            };
            self.judge(line, texts, row);
        }
        batch.clear();
        self.batch = batch;
    }

    fn judge(&mut self, line: &Pending, texts: [&str; 4], row: Option<u32>) {
        let Some(row) = row else {
            let text = line.fallback.then(|| texts[0].to_owned());
            let duplicate = !self.unknown.insert((line.identity, text));
            self.push_bank_only(line, texts, duplicate);
            return;
        };
        let facts = self.table.facts(row);
        let Some(facts) = facts.filter(|_| !self.met.replace(row as usize)) else {
            self.push_bank_only(line, texts, true);
            return;
        };
        let class = classify(line.amount_fen, line.fee_fen, &facts);
        self.classes.add(class);
        if class == DiffClass::Matched {
            self.matched.add(line.kind, line.amount_fen, line.fee_fen);
            return;
        }
        self.differences.push(Difference {
            class,
            kind: line.kind,
            order_no: texts[0].to_owned(),
            bank: Some(bank_facts(line, texts)),
            platform: Some(facts),
            duplicate: false,
        });
    }

    fn push_bank_only(&mut self, line: &Pending, texts: [&str; 4], duplicate: bool) {
        self.classes.add(DiffClass::BankOnly);
        self.differences.push(Difference {
            class: DiffClass::BankOnly,
            kind: line.kind,
            order_no: texts[0].to_owned(),
            bank: Some(bank_facts(line, texts)),
            platform: None,
            duplicate,
        });
    }
}

impl StatementSink for Reconciler {
    fn line(&mut self, line: &StatementLine<'_>) {
        let amount_fen = line.amount.fen();
        self.bank.add(line.kind, amount_fen, line.fee_fen);
        let (identity, fallback) = identity_of(line.kind, line.order_no);
        let hash = key::slot_hash(identity);
        let text = &mut self.batch.text;
        let mut text_ends = [0; 4];
        for (end, part) in text_ends.iter_mut().zip([
            line.order_no,
            line.original_order_no,
            line.accounting_date,
            line.bank_serial,
        ]) {
            text.push_str(part);
            *end = text.len();
        }
        self.batch.lines.push(Pending {
            line_no: line.line_no,
            kind: line.kind,
            amount_fen,
            fee_fen: line.fee_fen,
            identity,
            fallback,
            hash,
            home: self.index.home(hash),
            text_ends,
        });
        if self.batch.is_full() {
            self.flush();
        }
    }

    fn unreadable(&mut self, line: UnreadableLine) {
        self.unreadable.push(line);
    }
}

fn bank_facts(
    line: &Pending,
    [_, original_order_no, accounting_date, bank_serial]: [&str; 4],
) -> BankFacts {
    BankFacts {
        line_no: line.line_no,
        amount_fen: line.amount_fen,
        fee_fen: line.fee_fen,
        accounting_date: accounting_date.to_owned(),
        bank_serial: bank_serial.to_owned(),
        original_order_no: original_order_no.to_owned(),
    }
}
