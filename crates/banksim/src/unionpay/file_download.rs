//! The reconciliation file download (76/01 at the file root): for a settle date, the ZM file
//! and the summary report of the merchant's transactions in the gateway's own book, zipped,
//! then zlib-deflated and base64-encoded into `fileContent` (§6 of the protocol page).
//! A date with no transaction has no file: respCode 98.

use super::answers::{echo, respond, sealed};
use super::book::{Status, Transaction};
use super::codes;
use super::form::Charset;
use super::intake::{refusal_answer, refuse, required};
use super::state::UnionPayState;
use super::zm_file::{line, pays_merchant};
use crate::clock::now_china;
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

/// `MMDD` as the latest such day not after today (Beijing time).
fn settle_day(mmdd: &str) -> Option<NaiveDate> {
    if mmdd.len() != 4 || !mmdd.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let month = mmdd.get(..2)?.parse().ok()?;
    let day = mmdd.get(2..)?.parse().ok()?;
    let today = now_china().date_naive();
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(date) if date <= today => Some(date),
        _ => NaiveDate::from_ymd_opt(today.year() - 1, month, day),
    }
}

/// The day's settled transactions that move money, each with its original's orderId.
fn day_rows(
    sim: &UnionPayState,
    mer_id: &str,
    settle_date: &str,
) -> Vec<(Transaction, Option<String>)> {
    let book = sim.book();
    book.iter()
        .filter(|t| t.mer_id == mer_id && t.status == Status::Succeeded)
        .filter(|t| t.settle_date.as_deref() == Some(settle_date))
        .filter(|t| t.txn_type != super::book::PREAUTH && t.txn_type != super::book::PREAUTH_VOID)
        .map(|t| {
            let original = t
                .orig_query_id
                .as_deref()
                .and_then(|id| book.by_query_id(id))
                .and_then(|i| book.get(i))
                .map(|o| o.order_id.clone());
            (t.clone(), original)
        })
        .collect()
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// The summary report's lines, its 总计 line in the sample's columns: count, amount
/// debit/credit, fee debit/credit, net debit/credit.
fn summary(mer_id: &str, date: NaiveDate, rows: &[(Transaction, Option<String>)]) -> String {
    let (mut credit, mut debit) = (0u64, 0u64);
    for (transaction, _) in rows {
        if pays_merchant(transaction) {
            credit += transaction.amount_fen;
        } else {
            debit += transaction.amount_fen;
        }
    }
    let (net_debit, net_credit) = if credit >= debit {
        (0, credit - debit)
    } else {
        (debit - credit, 0)
    };
    format!(
        "中国银联全渠道商户交易汇总表\r\n\r\n商户代码:{mer_id}\r\n清算日期:{}\r\n\r\n\
交易类型 交易笔数 交易金额借 交易金额贷 费用借 费用贷 资金清算差额借 资金清算差额贷\r\n\
总计 {} {} {} 0.00 0.00 {} {}\r\n",
        date.format("%Y%m%d"),
        rows.len(),
        yuan(debit),
        yuan(credit),
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
fn archive(
    mer_id: &str,
    date: NaiveDate,
    rows: &[(Transaction, Option<String>)],
) -> Result<String, ArchiveError> {
    let mut zm = Vec::with_capacity(rows.len() * 609);
    for (transaction, original) in rows {
        zm.extend_from_slice(&line(transaction, original.as_deref()));
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
