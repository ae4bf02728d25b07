//! The summary report (商户交易汇总表, the `RD…` file) beside the ZM file: its 总计 line
//! declares the day's count, amounts, fees and net settlement, which the ZM lines must add
//! up to. A day whose lines do not add up is incomplete, or holds lines we could not read.

use super::zm_reader::ZmSummary;

/// The 总计 (total) line of the report's first table, in fen. Each pair is debit / credit
/// (借 / 贷) for the merchant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeclaredTotals {
    pub count: u64,
    pub amount_debit_fen: u64,
    pub amount_credit_fen: u64,
    pub fee_debit_fen: u64,
    pub fee_credit_fen: u64,
    pub net_debit_fen: u64,
    pub net_credit_fen: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SummaryError {
    #[error("the summary has no 总计 line")]
    NoTotal,
    #[error("the 总计 line is not a count and six yuan amounts: {0:?}")]
    Unreadable(String),
    #[error("the summary declares {declared:?}, the ZM lines hold {read:?}")]
    Mismatch {
        declared: DeclaredTotals,
        read: ZmSummary,
    },
}

impl DeclaredTotals {
    /// Reads the first 总计 line of the report (decoded text).
    pub fn from_report(report: &str) -> Result<DeclaredTotals, SummaryError> {
        let line = report
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("总计"))
            .ok_or(SummaryError::NoTotal)?;
        let unreadable = || SummaryError::Unreadable(line.to_string());
        let columns: Vec<&str> = line.split_whitespace().skip(1).collect();
        let [count, amounts @ ..] = columns.as_slice() else {
            return Err(unreadable());
        };
        let fen: Vec<u64> = amounts
            .iter()
            .map(|text| yuan_to_fen(text))
            .collect::<Option<_>>()
            .ok_or_else(unreadable)?;
        let [
            amount_debit_fen,
            amount_credit_fen,
            fee_debit_fen,
            fee_credit_fen,
            net_debit_fen,
            net_credit_fen,
        ] = fen.as_slice()
        else {
            return Err(unreadable());
        };
        Ok(DeclaredTotals {
            count: count.parse().map_err(|_| unreadable())?,
            amount_debit_fen: *amount_debit_fen,
            amount_credit_fen: *amount_credit_fen,
            fee_debit_fen: *fee_debit_fen,
            fee_credit_fen: *fee_credit_fen,
            net_debit_fen: *net_debit_fen,
            net_credit_fen: *net_credit_fen,
        })
    }

    /// `Ok` when the ZM lines read add up to what the report declares: the count, the
    /// amounts (which the lines carry without direction), the fees and the net settlement.
    pub fn check(&self, read: &ZmSummary) -> Result<(), SummaryError> {
        let signed = |credit: u64, debit: u64| i128::from(credit) - i128::from(debit);
        let adds_up = self.count == read.lines
            && read.unreadable_lines == 0
            && u128::from(self.amount_debit_fen) + u128::from(self.amount_credit_fen)
                == u128::from(read.amount_fen)
            && signed(self.fee_credit_fen, self.fee_debit_fen) == i128::from(read.fee_fen)
            && signed(self.net_credit_fen, self.net_debit_fen) == i128::from(read.settlement_fen);
        if adds_up {
            Ok(())
        } else {
            Err(SummaryError::Mismatch {
                declared: *self,
                read: *read,
            })
        }
    }
}

/// `13227.00` → 1322700: digits, a point, two digits; nothing rounded.
fn yuan_to_fen(text: &str) -> Option<u64> {
    let (yuan, fen) = text.split_once('.')?;
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(yuan) || fen.len() != 2 || !digits(fen) || yuan.len() > 15 {
        return None;
    }
    yuan.parse::<u64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(fen.parse::<u64>().ok()?)
}
