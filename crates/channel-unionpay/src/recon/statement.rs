//! The day's zip as core's statement: each ZM line that moves money becomes a
//! [`StatementLine`], the summary report's 总计 line becomes the totals the file declares.
//!
//! - `01` consume and `03` pre-authorisation completion pay the merchant: payments. A
//!   completion is known to us by the pre-authorisation's order number (原始交易订单号), whose
//!   captured amount it is.
//! - `04` refund, `31` consume void and `33` completion void take money back: refunds, each by
//!   its own order number, the original's beside it.
//! - `02` pre-authorisation and `32` its void move no money: they are passed over (they would
//!   otherwise show as payments nobody took).
//! - Anything else is reported as unreadable, with the line's text, as is a line that is not a
//!   ZM line at all; and when every line was read but they do not add up to the summary, the
//!   summary's 总计 line is reported too (as line 0), so a file that lost lines never reads as
//!   complete.

use super::summary::DeclaredTotals;
use super::zm_layout::ZmField;
use super::zm_line::ZmLine;
use super::zm_reader::{ZmSink, parse_zm};
use super::{MAX_UNPACKED_BYTES, ReconciliationArchive};
use std::io::Read;
use unipay_core::money::Amount;
use unipay_core::statement::{
    StatementError, StatementLine, StatementSink, StatementSummary, StatementTotals, TxnKind,
    UnreadableLine,
};

/// The ZM fields' names (§6 of the protocol page), the statement's columns.
pub const COLUMNS: [&str; 42] = [
    "交易代码",
    "代理机构标识码",
    "发送机构标识码",
    "系统跟踪号",
    "交易传输时间",
    "帐号",
    "交易金额",
    "商户类别",
    "终端类型",
    "查询流水号",
    "支付方式（旧）",
    "商户订单号",
    "支付卡类型",
    "原始交易的系统跟踪号",
    "原始交易日期时间",
    "商户手续费",
    "结算金额",
    "支付方式",
    "集团商户代码",
    "交易类型",
    "交易子类",
    "业务类型",
    "帐号类型",
    "账单类型",
    "账单号码",
    "交互方式",
    "原交易查询流水号",
    "商户代码",
    "分账入账方式",
    "二级商户代码",
    "二级商户简称",
    "二级商户分账入账金额",
    "清算净额",
    "终端号",
    "商户自定义域",
    "优惠金额",
    "发票金额",
    "分期付款附加手续费",
    "分期付款期数",
    "交易介质",
    "原始交易订单号",
    "保留使用",
];

/// What a ZM line's `txnType` means for the merchant's money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Moves(TxnKind),
    /// An authorisation or its void: nothing taken, nothing given back.
    NoMoney,
}

fn kind_of(txn_type: &str) -> Option<LineKind> {
    match txn_type {
        "01" | "03" => Some(LineKind::Moves(TxnKind::Payment)),
        "04" | "31" | "33" => Some(LineKind::Moves(TxnKind::Refund)),
        "02" | "32" => Some(LineKind::NoMoney),
        _ => None,
    }
}

/// The zip the file download delivered, read whole: a zip is read from its end, so it cannot
/// be streamed (it is the compressed day, far smaller than the lines it holds).
pub fn read_zip(file: &mut dyn Read) -> Result<Vec<u8>, StatementError> {
    let mut zip = Vec::new();
    file.take(MAX_UNPACKED_BYTES + 1)
        .read_to_end(&mut zip)
        .map_err(|e| StatementError::Read(e.to_string()))?;
    if zip.len() as u64 > MAX_UNPACKED_BYTES {
        return Err(StatementError::Format(format!(
            "the file is larger than {MAX_UNPACKED_BYTES} bytes"
        )));
    }
    Ok(zip)
}

/// Streams the zip's ZM file into `sink` as statement lines.
pub fn parse_archive(
    zip: &[u8],
    sink: &mut dyn StatementSink,
) -> Result<StatementSummary, StatementError> {
    let format = |e: super::ReconError| StatementError::Format(e.to_string());
    let mut archive = ReconciliationArchive::new(zip).map_err(format)?;
    let (_, name) = archive
        .zm_file()
        .ok_or_else(|| format(super::ReconError::MissingFile("ZM")))?;
    let accounting_date = accounting_date(&name.settle_date).ok_or_else(|| {
        StatementError::Format(format!(
            "the ZM file's date {:?} is not a date",
            name.settle_date
        ))
    })?;
    let report = archive.summary_text().map_err(format)?;
    let declared = DeclaredTotals::from_report(&report)
        .map_err(|e| StatementError::Format(format!("the summary report cannot be read: {e}")))?;
    let mut mapper = Mapper {
        sink,
        accounting_date: &accounting_date,
        read: StatementTotals::default(),
        unreadable: 0,
        no_money: 0,
    };
    let zm = archive
        .read_zm(|input| parse_zm(input, &mut mapper))
        .map_err(format)??;
    // A file with an unreadable line cannot add up, and says so already.
    if mapper.unreadable == 0
        && let Err(mismatch) = declared.check(&zm)
    {
        mapper.report(0, total_line(&report), mismatch.to_string());
    }
    Ok(StatementSummary {
        columns: COLUMNS.iter().map(|c| (*c).to_string()).collect(),
        read: mapper.read,
        unreadable_lines: mapper.unreadable,
    })
}

/// The totals the summary declares, as the statement port counts them: its amounts are its
/// own (credit: payments, debit: refunds); it gives one count for every line, which is split
/// by the lines' own kinds, so a count that differs shows as a payments count that differs.
pub fn declared_totals(zip: &[u8]) -> Result<StatementTotals, StatementError> {
    let format = |e: super::ReconError| StatementError::Format(e.to_string());
    let mut archive = ReconciliationArchive::new(zip).map_err(format)?;
    let report = archive.summary_text().map_err(format)?;
    let declared = DeclaredTotals::from_report(&report)
        .map_err(|e| StatementError::Format(format!("the summary report cannot be read: {e}")))?;
    let mut counted = KindCount::default();
    archive
        .read_zm(|input| parse_zm(input, &mut counted))
        .map_err(format)??;
    let fen = |value: u64| i64::try_from(value).unwrap_or(i64::MAX);
    Ok(StatementTotals {
        payments: declared
            .count
            .saturating_sub(counted.refunds + counted.no_money),
        payments_fen: fen(declared.amount_credit_fen),
        refunds: counted.refunds,
        refunds_fen: fen(declared.amount_debit_fen),
    })
}

/// `yymmdd` of the ZM file's name as `YYYY-MM-DD`.
fn accounting_date(yymmdd: &str) -> Option<String> {
    let date = chrono::NaiveDate::parse_from_str(&format!("20{yymmdd}"), "%Y%m%d").ok()?;
    Some(date.format("%Y-%m-%d").to_string())
}

/// The report's first 总计 line, for the record of a file that does not add up.
fn total_line(report: &str) -> String {
    report
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("总计"))
        .unwrap_or_default()
        .to_string()
}

/// Counts lines by kind, for the declared totals.
#[derive(Default)]
struct KindCount {
    refunds: u64,
    no_money: u64,
}

impl ZmSink for KindCount {
    fn line(&mut self, line: &ZmLine<'_>) {
        match kind_of(line.txn_type()) {
            Some(LineKind::Moves(TxnKind::Refund)) => self.refunds += 1,
            Some(LineKind::NoMoney) => self.no_money += 1,
            _ => {}
        }
    }

    fn unreadable(&mut self, _line: UnreadableLine) {}
}

struct Mapper<'s, 'd> {
    sink: &'s mut dyn StatementSink,
    accounting_date: &'d str,
    read: StatementTotals,
    unreadable: u64,
    no_money: u64,
}

impl Mapper<'_, '_> {
    fn report(&mut self, line_no: u64, text: String, reason: String) {
        self.unreadable += 1;
        self.sink.unreadable(UnreadableLine {
            line_no,
            text,
            reason,
        });
    }

    fn map(&mut self, line: &ZmLine<'_>) -> Result<(), String> {
        let kind = match kind_of(line.txn_type()) {
            Some(LineKind::Moves(kind)) => kind,
            Some(LineKind::NoMoney) => {
                self.no_money += 1;
                return Ok(());
            }
            None => return Err(format!("交易类型 {:?} is not one we know", line.txn_type())),
        };
        let amount = i64::try_from(line.amount_fen())
            .ok()
            .and_then(|fen| Amount::from_fen(fen).ok())
            .ok_or_else(|| format!("交易金额 {} fen is not an amount", line.amount_fen()))?;
        let original = line.text(ZmField::OriginalOrderId);
        let completion = line.txn_type() == "03" && !original.is_empty();
        let order_no = if completion {
            original.as_ref()
        } else {
            line.order_id()
        };
        if order_no.is_empty() {
            return Err("empty 商户订单号".to_string());
        }
        let original_order_no = match kind {
            TxnKind::Refund => original.as_ref(),
            TxnKind::Payment => "",
        };
        // 商户手续费: a debit is a fee the bank takes, a credit one it gives back.
        let fee_fen = -line.fee().signed();
        self.read.add(kind, amount.fen());
        self.sink.line(&StatementLine {
            line_no: line.line_no,
            kind,
            order_no,
            original_order_no,
            amount,
            fee_fen,
            accounting_date: self.accounting_date,
            bank_serial: line.query_id(),
            traded_at: line.trace_time(),
        });
        Ok(())
    }
}

impl ZmSink for Mapper<'_, '_> {
    fn line(&mut self, line: &ZmLine<'_>) {
        if let Err(reason) = self.map(line) {
            let (text, _) = encoding_rs::GBK.decode_without_bom_handling(line.bytes());
            let text = text.into_owned();
            self.report(line.line_no, text, reason);
        }
    }

    fn unreadable(&mut self, line: UnreadableLine) {
        self.unreadable += 1;
        self.sink.unreadable(line);
    }
}

#[cfg(test)]
mod tests;
