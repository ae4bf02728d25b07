//! Our side of a reconciliation: one record per payment or refund, without a heap object per
//! record.
//!
//! A record is 32 bytes, aligned to 32: its key (`u128`: order number, kind and status, see
//! [`super::key`]), amount and fee. A lookup needs all three at once, at a random place, so they
//! share one cache line rather than sitting in three columns that would cost three memory
//! round trips. Numbers that do not pack into a key keep their text in one shared arena.

use super::key;
use super::outcome::{PlatformFacts, PlatformStatus, SideTotals};
use crate::statement::TxnKind;

/// Row indices are `u32`, and `u32::MAX` is never one.
pub const MAX_ROWS: usize = u32::MAX as usize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a platform table holds at most {MAX_ROWS} records")]
pub struct TableFull;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[repr(C, align(32))]
pub(super) struct Record {
    pub(super) key: u128,
    pub(super) amount_fen: i64,
    pub(super) fee_fen: i64,
}

impl Record {
    pub(super) fn facts(&self, row: u32) -> PlatformFacts {
        PlatformFacts {
            row,
            amount_fen: self.amount_fen,
            fee_fen: self.fee_fen,
            status: if self.key & key::STATUS_BIT == 0 {
                PlatformStatus::Succeeded
            } else {
                PlatformStatus::NotSucceeded
            },
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlatformTable {
    records: Vec<Record>,
    /// Texts of the numbers that do not pack, back to back; `fallback_ends[i]` ends the i-th.
    fallback_text: String,
    fallback_ends: Vec<usize>,
    totals: SideTotals,
}

impl PlatformTable {
    pub fn new() -> PlatformTable {
        PlatformTable::default()
    }

    /// Reserves room for `rows` records up front: a table of millions then never copies itself.
    pub fn with_capacity(rows: usize) -> PlatformTable {
        PlatformTable {
            records: Vec::with_capacity(rows),
            ..PlatformTable::default()
        }
    }

    /// Adds a record and returns its row index. `order_no` is the payment's order number, or
    /// for a refund the refund's own number; `fee_fen` is the fee we expect the bank to charge.
    pub fn push(
        &mut self,
        kind: TxnKind,
        order_no: &str,
        amount_fen: i64,
        fee_fen: i64,
        status: PlatformStatus,
    ) -> Result<u32, TableFull> {
        let row = self.records.len();
        if row >= MAX_ROWS {
            return Err(TableFull);
        }
        let key = match key::pack(kind, order_no) {
            Some(packed) => packed,
            None => {
                // Fewer fallback texts than rows, so the arena index fits a u32 too.
                let index = self.fallback_ends.len() as u32;
                self.fallback_text.push_str(order_no);
                self.fallback_ends.push(self.fallback_text.len());
                key::with_fallback_index(key::fallback_identity(kind, order_no), index)
            }
        };
        let status_bit = match status {
            PlatformStatus::Succeeded => 0,
            PlatformStatus::NotSucceeded => key::STATUS_BIT,
        };
        self.records.push(Record {
            key: key | status_bit,
            amount_fen,
            fee_fen,
        });
        self.totals.add(kind, amount_fen, fee_fen);
        Ok(row as u32)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The record's order number (or refund number) as it was pushed.
    pub fn key_of(&self, row: u32) -> Option<String> {
        let stored = self.record(row)?.key;
        match key::unpack(stored) {
            Some(text) => Some(text),
            None => self.fallback_text(stored).map(str::to_owned),
        }
    }

    pub fn kind(&self, row: u32) -> Option<TxnKind> {
        self.record(row).map(|record| key::kind(record.key))
    }

    pub fn facts(&self, row: u32) -> Option<PlatformFacts> {
        self.record(row).map(|record| record.facts(row))
    }

    /// Count, amount and fee of every record, per kind, whatever its status.
    pub fn totals(&self) -> SideTotals {
        self.totals
    }

    /// Bytes allocated for the records and the arena.
    pub fn heap_bytes(&self) -> usize {
        self.records.capacity() * size_of::<Record>()
            + self.fallback_text.capacity()
            + self.fallback_ends.capacity() * size_of::<usize>()
    }

    pub(super) fn record(&self, row: u32) -> Option<Record> {
        self.records.get(row as usize).copied()
    }

    /// Reads part of a record so that it is in cache when it is needed (see the reconciler).
    pub(super) fn touch(&self, row: u32) -> u64 {
        self.records
            .get(row as usize)
            .map_or(0, |record| record.amount_fen as u64)
    }

    /// The index's view of a row: where it hashes to.
    pub(super) fn slot_hash(&self, row: usize) -> u64 {
        self.records
            .get(row)
            .map_or(0, |record| key::slot_hash(key::identity(record.key)))
    }

    /// The arena text of a fallback key.
    pub(super) fn fallback_text(&self, stored: u128) -> Option<&str> {
        if !key::is_fallback(stored) {
            return None;
        }
        let index = key::fallback_index(stored) as usize;
        let end = *self.fallback_ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => *self.fallback_ends.get(previous)?,
            None => 0,
        };
        self.fallback_text.get(start..end)
    }
}
