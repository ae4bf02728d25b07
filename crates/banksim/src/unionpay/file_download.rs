//! The reconciliation file download (76/01 at the file root): for a settle date, the ZM file
//! and the summary report of the merchant's transactions in the gateway's own book, zipped,
//! then zlib-deflated and base64-encoded into `fileContent` (§6 of the protocol page).
//! A date with no transaction has no file: respCode 98. A statement fault set on an order
//! (`POST /sim/unionpay/orders/{orderId}/statement`, as the ABC mode's) changes its line:
//! left out, filed a day late, another amount or fee, or unreadable.

use super::answers::{echo, respond, sealed};
use super::book::{Status, Transaction};
use super::codes;
use super::form::Charset;
use super::intake::{refusal_answer, refuse, required};
use super::state::UnionPayState;
use super::zm_file::{line, pays_merchant};
use crate::clock::now_china;
use crate::faults::StatementFault;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use base64::Engine;
use chrono::{Datelike, NaiveDate};
use std::io::Write;

pub const FILE_MISSING: (&str, &str) = ("98", "文件不存在[9800000]");

pub async fn file_request(State(sim): State<UnionPayState>, body: Bytes) -> Response {
    let verified = match super::intake::verify(&sim, &body) {
        Ok(verified) => verified,
        Err(refusal) => return refusal_answer(&sim, &refusal),
    };
    let settle_date = match required(&verified.request, "settleDate") {
        Ok(date) => date.to_string(),
        Err(refusal) => return refusal_answer(&sim, &refusal),
    };
    if verified.request.get("txnType") != Some("76") {
        return refusal_answer(&sim, &refuse(&verified, codes::NOT_PERMITTED, "not 76"));
    }
    let Some(date) = settle_day(&settle_date) else {
        return refusal_answer(&sim, &refuse(&verified, codes::FORMAT_ERROR, "settleDate"));
    };
    let rows = day_rows(&sim, &verified.mer_id, &settle_date);
    if rows.is_empty() || sim.faults().file_missing {
        return refusal_answer(
            &sim,
            &refuse(&verified, FILE_MISSING, "no file for the day"),
        );
    }
    let archive = match archive(&verified.mer_id, date, &rows) {
        Ok(archive) => archive,
        Err(error) => {
            tracing::error!(%error, "reconciliation zip failed");
            return refusal_answer(&sim, &refuse(&verified, codes::FAILED, "zip failed"));
        }
    };
    let mut answer = echo(&verified.request, codes::SUCCESS);
    answer.set("settleDate", &settle_date);
    answer.set("fileType", verified.request.get("fileType").unwrap_or("00"));
    answer.set(
        "fileName",
        format!("{}_{}.zip", verified.mer_id, date.format("%Y%m%d")),
    );
    answer.set("fileContent", archive);
    respond(&sealed(&sim, &verified.mer_id, verified.sealing, answer))
}

/// `MMDD` as the day of that name nearest today (Beijing time): last year's for a December
/// date asked in January, next year's for a January date asked in December.
fn settle_day(mmdd: &str) -> Option<NaiveDate> {
    if mmdd.len() != 4 || !mmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month = mmdd.get(..2)?.parse().ok()?;
    let day = mmdd.get(2..)?.parse().ok()?;
    let today = now_china().date_naive();
    (today.year() - 1..=today.year() + 1)
        .filter_map(|year| NaiveDate::from_ymd_opt(year, month, day))
        .min_by_key(|date| (*date - today).num_days().abs())
}

/// One line of the file: the transaction as the file shows it (statement faults applied).
struct Row {
    transaction: Transaction,
    /// The original's orderId, for an operation on one.
    original: Option<String>,
    fee_fen: u64,
    /// The amount is written unreadable; the summary leaves the line out.
    corrupt: bool,
}

/// The settle date (`MMDD`) a transaction of `settle_date` is filed under, if at all.
fn filed_under(settle_date: &str, fault: Option<StatementFault>) -> Option<String> {
    match fault {
        Some(StatementFault::Omit) => None,
        Some(StatementFault::NextDay) => Some(
            settle_day(settle_date)?
                .succ_opt()?
                .format("%m%d")
                .to_string(),
        ),
        _ => Some(settle_date.to_string()),
    }
}

/// The day's settled transactions that move money, each with its original's orderId.
fn day_rows(sim: &UnionPayState, mer_id: &str, settle_date: &str) -> Vec<Row> {
    let faults = sim.statement_faults();
    let book = sim.book();
    book.iter()
        .filter(|t| t.mer_id == mer_id && t.status == Status::Succeeded)
        .filter(|t| t.txn_type != super::book::PREAUTH && t.txn_type != super::book::PREAUTH_VOID)
        .filter_map(|t| {
            let fault = faults.get(&t.order_id).copied();
            if filed_under(t.settle_date.as_deref()?, fault)?.as_str() != settle_date {
                return None;
            }
            let original = t
                .orig_query_id
                .as_deref()
                .and_then(|id| book.by_query_id(id))
                .and_then(|i| book.get(i))
                .map(|o| o.order_id.clone());
            let mut row = Row {
                transaction: t.clone(),
                original,
                fee_fen: 0,
                corrupt: false,
            };
            match fault {
                Some(StatementFault::Amount { amount_fen }) => {
                    row.transaction.amount_fen = u64::try_from(amount_fen).unwrap_or(0);
                }
                Some(StatementFault::Fee { fee_fen }) => {
                    row.fee_fen = u64::try_from(fee_fen).unwrap_or(0);
                }
                Some(StatementFault::Corrupt) => row.corrupt = true,
                _ => {}
            }
            Some(row)
        })
        .collect()
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The summary report's lines, its 总计 line in the sample's columns: count, amount
/// debit/credit, fee debit/credit, net debit/credit. A corrupt line is left out, as a bank
/// whose report was made from its books, not from the damaged file, would.
fn summary(mer_id: &str, date: NaiveDate, rows: &[Row]) -> String {
    let (mut credit, mut debit, mut fees, mut count) = (0u64, 0u64, 0u64, 0usize);
    for row in rows.iter().filter(|row| !row.corrupt) {
        count += 1;
        if pays_merchant(&row.transaction) {
            credit += row.transaction.amount_fen;
            fees += row.fee_fen.min(row.transaction.amount_fen);
        } else {
            debit += row.transaction.amount_fen;
        }
    }
    let paid = credit - fees;
    let (net_debit, net_credit) = if paid >= debit {
        (0, paid - debit)
    } else {
        (debit - paid, 0)
    };
    format!(
        "中国银联全渠道商户交易汇总表\r\n\r\n商户代码:{mer_id}\r\n清算日期:{}\r\n\r\n\
交易类型 交易笔数 交易金额借 交易金额贷 费用借 费用贷 资金清算差额借 资金清算差额贷\r\n\
总计 {count} {} {} {} 0.00 {} {}\r\n",
        date.format("%Y%m%d"),
        yuan(debit),
        yuan(credit),
        yuan(fees),
        yuan(net_debit),
        yuan(net_credit),
    )
}

#[derive(Debug, thiserror::Error)]
enum ArchiveError {
    #[error(transparent)]
    Zip(#[from] zip::result::ZipError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// base64(zlib(zip(ZM, RD))).
fn archive(mer_id: &str, date: NaiveDate, rows: &[Row]) -> Result<String, ArchiveError> {
    let mut zm = Vec::with_capacity(rows.len() * 609);
    for row in rows {
        let mut bytes = line(&row.transaction, row.original.as_deref(), row.fee_fen);
        if row.corrupt {
            // 交易金额 (12 digits at byte 66) no longer a number.
            if let Some(amount) = bytes.get_mut(66..78) {
                amount.copy_from_slice(b"00000012.3x0");
            }
        }
        zm.extend_from_slice(&bytes);
        zm.extend_from_slice(b"\r\n");
    }
    let yymmdd = date.format("%y%m%d");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(format!("INN{yymmdd}88ZM_{mer_id}"), options)?;
    zip.write_all(&zm)?;
    zip.start_file(format!("RD2010{yymmdd}01_{mer_id}"), options)?;
    zip.write_all(&Charset::Gbk.encode(&summary(mer_id, date, rows)))?;
    let zipped = zip.finish()?.into_inner();
    let mut deflater = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    deflater.write_all(&zipped)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(deflater.finish()?))
}
