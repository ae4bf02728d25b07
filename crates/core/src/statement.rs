//! A bank's daily statement (对账单) as unipay reads it, whatever the bank's own layout.
//!
//! A statement can hold millions of lines, so it is never materialised as one object per line:
//! a bank protocol's parser streams each line, borrowed, into a [`StatementSink`], and whoever
//! consumes it (the reconciler, the statement store) keeps only what it needs.

use crate::money::Amount;

/// What a statement line (or one of our own transactions) moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum TxnKind {
    Payment = 0,
    Refund = 1,
}

impl TxnKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TxnKind::Payment => "payment",
            TxnKind::Refund => "refund",
        }
    }

    pub fn parse(text: &str) -> Option<TxnKind> {
        match text {
            "payment" => Some(TxnKind::Payment),
            "refund" => Some(TxnKind::Refund),
            _ => None,
        }
    }
}

/// One readable statement line, borrowed from the parser's buffer for the duration of the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementLine<'a> {
    /// 1-based line number in the statement, the header being line 1.
    pub line_no: u64,
    pub kind: TxnKind,
    /// The number the bank knows the transaction by: the payment's order number, or for a
    /// refund the refund's own number (ABC: NewOrderNo).
    pub order_no: &'a str,
    /// For a refund, the order number of the payment it refunds; empty otherwise.
    pub original_order_no: &'a str,
    /// Always positive: the direction is in `kind`.
    pub amount: Amount,
    /// The bank's fee on this line, in fen (0 when none).
    pub fee_fen: i64,
    /// `YYYY-MM-DD`: the bank's accounting date for the line.
    pub accounting_date: &'a str,
    /// The bank's serial number (ABC: 主机流水号).
    pub bank_serial: &'a str,
    /// When the bank recorded it, as the bank wrote it.
    pub traded_at: &'a str,
}

/// A line that could not be read: kept with its text, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableLine {
    pub line_no: u64,
    /// The line decoded to text (lossily, if its bytes were not valid in the statement's encoding).
    pub text: String,
    pub reason: String,
}

/// The totals a statement declares about itself (ABC: NumOfPayments, SumOfPayAmount, ...),
/// checked by the parser against the lines it read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementTotals {
    pub payments: u64,
    pub payments_fen: i64,
    pub refunds: u64,
    pub refunds_fen: i64,
}

impl StatementTotals {
    pub fn add(&mut self, kind: TxnKind, amount_fen: i64) {
        match kind {
            TxnKind::Payment => {
                self.payments += 1;
                self.payments_fen += amount_fen;
            }
            TxnKind::Refund => {
                self.refunds += 1;
                self.refunds_fen += amount_fen;
            }
        }
    }
}

/// Why a statement could not be read at all (a line that cannot be read is not an error: it
/// goes to [`StatementSink::unreadable`] and the parse goes on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    /// The bytes could not be read: an I/O failure, a damaged or truncated compressed file.
    #[error("statement cannot be read: {0}")]
    Read(String),
    /// The bytes are not a statement in a layout the parser knows (a required column is
    /// missing, a record is absurdly long, ...).
    #[error("statement layout not understood: {0}")]
    Format(String),
}

/// Receives a statement line by line.
pub trait StatementSink {
    fn line(&mut self, line: &StatementLine<'_>);
    fn unreadable(&mut self, line: UnreadableLine);
}

/// What a parse found besides the lines themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementSummary {
    /// The header's column names, in order.
    pub columns: Vec<String>,
    /// Totals of the readable lines.
    pub read: StatementTotals,
    pub unreadable_lines: u64,
}

/// A sink that keeps every line: for tests, small statements and the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectedStatement {
    pub lines: Vec<OwnedStatementLine>,
    pub unreadable: Vec<UnreadableLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedStatementLine {
    pub line_no: u64,
    pub kind: TxnKind,
    pub order_no: String,
    pub original_order_no: String,
    pub amount: Amount,
    pub fee_fen: i64,
    pub accounting_date: String,
    pub bank_serial: String,
    pub traded_at: String,
}

impl StatementSink for CollectedStatement {
    fn line(&mut self, line: &StatementLine<'_>) {
        self.lines.push(OwnedStatementLine {
            line_no: line.line_no,
            kind: line.kind,
            order_no: line.order_no.to_owned(),
            original_order_no: line.original_order_no.to_owned(),
            amount: line.amount,
            fee_fen: line.fee_fen,
            accounting_date: line.accounting_date.to_owned(),
            bank_serial: line.bank_serial.to_owned(),
            traded_at: line.traded_at.to_owned(),
        });
    }

    fn unreadable(&mut self, line: UnreadableLine) {
        self.unreadable.push(line);
    }
}
