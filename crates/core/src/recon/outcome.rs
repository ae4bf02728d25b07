//! What a reconciliation finds: totals, counts per class and the differences themselves.

use crate::statement::{TxnKind, UnreadableLine};

/// The class each record ends in. `Matched` is counted but never listed as a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiffClass {
    Matched,
    /// A statement line with no platform record of the same kind and number, or a repeat of an
    /// earlier line's kind and number.
    BankOnly,
    /// A platform record that no statement line met.
    PlatformOnly,
    AmountMismatch,
    /// The bank moved money for a record we do not hold as succeeded.
    StatusMismatch,
    FeeMismatch,
}

impl DiffClass {
    pub const ALL: [DiffClass; 6] = [
        DiffClass::Matched,
        DiffClass::BankOnly,
        DiffClass::PlatformOnly,
        DiffClass::AmountMismatch,
        DiffClass::StatusMismatch,
        DiffClass::FeeMismatch,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DiffClass::Matched => "matched",
            DiffClass::BankOnly => "bank_only",
            DiffClass::PlatformOnly => "platform_only",
            DiffClass::AmountMismatch => "amount_mismatch",
            DiffClass::StatusMismatch => "status_mismatch",
            DiffClass::FeeMismatch => "fee_mismatch",
        }
    }

    pub fn parse(text: &str) -> Option<DiffClass> {
        DiffClass::ALL
            .into_iter()
            .find(|class| class.as_str() == text)
    }

    fn position(self) -> usize {
        self as usize
    }
}

/// Our side's status of a record. The caller loads the succeeded records of the date, and may
/// add others it looked up (a pending or closed payment the bank nevertheless lists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatformStatus {
    Succeeded,
    NotSucceeded,
}

impl PlatformStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformStatus::Succeeded => "succeeded",
            PlatformStatus::NotSucceeded => "not_succeeded",
        }
    }
}

/// A count with its amount and fee sums. Sums are `i128` so that no number of lines can
/// overflow them: they are exact whatever the statement holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: u64,
    pub amount_fen: i128,
    pub fee_fen: i128,
}

impl Totals {
    pub fn add(&mut self, amount_fen: i64, fee_fen: i64) {
        self.count += 1;
        self.amount_fen += i128::from(amount_fen);
        self.fee_fen += i128::from(fee_fen);
    }
}

/// Totals of one side (or of the matched records), per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SideTotals {
    pub payment: Totals,
    pub refund: Totals,
}

impl SideTotals {
    pub fn of(&self, kind: TxnKind) -> Totals {
        match kind {
            TxnKind::Payment => self.payment,
            TxnKind::Refund => self.refund,
        }
    }

    pub fn add(&mut self, kind: TxnKind, amount_fen: i64, fee_fen: i64) {
        match kind {
            TxnKind::Payment => self.payment.add(amount_fen, fee_fen),
            TxnKind::Refund => self.refund.add(amount_fen, fee_fen),
        }
    }
}

/// How many records ended in each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassCounts([u64; 6]);

impl ClassCounts {
    pub fn get(&self, class: DiffClass) -> u64 {
        self.0.get(class.position()).copied().unwrap_or(0)
    }

    pub(super) fn add(&mut self, class: DiffClass) {
        if let Some(count) = self.0.get_mut(class.position()) {
            *count += 1;
        }
    }
}

/// The statement line's side of a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFacts {
    pub line_no: u64,
    pub amount_fen: i64,
    pub fee_fen: i64,
    pub accounting_date: String,
    pub bank_serial: String,
    pub original_order_no: String,
}

/// Our side of a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlatformFacts {
    /// The record's index in the [`super::PlatformTable`], in the order it was pushed.
    pub row: u32,
    pub amount_fen: i64,
    pub fee_fen: i64,
    pub status: PlatformStatus,
}

/// One record that did not match. `bank_only` has only `bank`, `platform_only` only `platform`,
/// the mismatches both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub class: DiffClass,
    pub kind: TxnKind,
    pub order_no: String,
    pub bank: Option<BankFacts>,
    pub platform: Option<PlatformFacts>,
    /// A statement line repeating an earlier line's kind and number, or a platform record
    /// repeating an earlier record's.
    pub duplicate: bool,
}

/// The result of reconciling one statement against one table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconOutcome {
    /// Every readable statement line.
    pub bank: SideTotals,
    /// Every record of the table, whatever its status.
    pub platform: SideTotals,
    /// The records that matched (amounts and fees are then the same on both sides).
    pub matched: SideTotals,
    pub classes: ClassCounts,
    /// Statement-line differences in line order, then `platform_only` in table order.
    pub differences: Vec<Difference>,
    /// Lines the parser could not read, as it passed them on; they are not classified.
    pub unreadable: Vec<UnreadableLine>,
}
