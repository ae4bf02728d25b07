//! `Settle` (对账单查询) and `QueryTrnxRecords` (交易流水查询): the bank's statements of the
//! requesting merchant's transactions.
//!
//! - `Settle`: `SettleDate` (`YYYY/MM/DD`, an accounting date), `ZIP` (`0` plain, `1` gzip and
//!   base64), `SettleType` (ignored). The statement holds every payment the bank holds as paid
//!   and booked on that accounting date, so a payment made after the cut-over hour is in the next
//!   day's statement.
//! - `QueryTrnxRecords`: `SettleDate` (here a calendar date of the bank's host clock),
//!   `SettleStartHour` and `SettleEndHour` (0–23, start ≤ end), `ZIP`. The statement holds the
//!   payments whose host time falls in those hours of that date, whatever their accounting date.
//!
//! Both answer `SettleDate`, `SettleType` (`TRX`), `NumOfPayments`, `SumOfPayAmount`,
//! `NumOfRefunds`, `SumOfRefundAmount`, and the statement text as `DetailRecords` (ZIP 0) or
//! `ZIPDetailRecords` (ZIP 1: base64 of gzip of its GBK bytes). A bad field is refused with
//! `2101`. The layout is in [`text`], which transactions a statement holds in [`select`], and
//! how a per-order statement fault changes a line in [`misreport`].

pub mod accounts;
pub mod fee;
pub mod line;
pub mod misreport;
pub mod request;
pub mod select;
pub mod text;
pub mod zip;

use crate::answer;
use crate::clock::{now_ms, protocol_date};
use crate::codes;
use crate::state::Inner;
use chrono::NaiveDate;
use request::Zip;
use select::Scope;
use serde::Serialize;
use serde_json::Value;
use unipay_core::money::format_yuan;

/// The only SettleType the simulator writes: transactions, not fund transfers.
const SETTLE_TYPE: &str = "TRX";

/// TrxResponse of Settle and QueryTrnxRecords. Every value is digits, ASCII punctuation other
/// than `}` and `"`, or the statement's own Chinese column names, so the real client's naive
/// scanner reads it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct StatementResponse {
    return_code: &'static str,
    error_message: &'static str,
    trx_type: &'static str,
    settle_date: String,
    settle_type: &'static str,
    num_of_payments: String,
    sum_of_pay_amount: String,
    num_of_refunds: String,
    sum_of_refund_amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail_records: Option<String>,
    #[serde(rename = "ZIPDetailRecords", skip_serializing_if = "Option::is_none")]
    zip_detail_records: Option<String>,
}

/// `Settle`: the statement of one accounting date.
pub fn settle(sim: &Inner, merchant_id: &str, request: &Value) -> String {
    let fields = request::settle_date(request).and_then(|date| Ok((date, request::zip(request)?)));
    let (date, zip) = match fields {
        Ok(fields) => fields,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    statement(
        sim,
        merchant_id,
        "Settle",
        date,
        zip,
        Scope::AccountingDate(date),
    )
}

/// `QueryTrnxRecords`: the transactions of some hours of one calendar date.
pub fn query_trnx_records(sim: &Inner, merchant_id: &str, request: &Value) -> String {
    let fields = request::settle_date(request).and_then(|date| {
        let (start, end) = request::hours(request)?;
        Ok((date, start, end, request::zip(request)?))
    });
    let (date, start, end, zip) = match fields {
        Ok(fields) => fields,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    let scope = Scope::HostHours { date, start, end };
    statement(sim, merchant_id, "QueryTrnxRecords", date, zip, scope)
}

fn statement(
    sim: &Inner,
    merchant_id: &str,
    trx_type: &'static str,
    date: NaiveDate,
    zip: Zip,
    scope: Scope,
) -> String {
    // Copy the lines under the lock; render, compress and sign without it.
    let lines = select::lines(
        &sim.orders_current(),
        merchant_id,
        scope,
        sim.fee_bps,
        now_ms(),
    );
    let statement = text::render(&lines);
    let (detail_records, zip_detail_records) = match zip {
        Zip::Plain => (Some(statement.text), None),
        Zip::Gzip => match zip::gzip_base64_gbk(&statement.text) {
            Ok(encoded) => (None, Some(encoded)),
            // Compressing into memory does not fail; should it, the merchant still gets a code.
            Err(_) => return answer::refusal(merchant_id, codes::INCOMPLETE),
        },
    };
    let response = StatementResponse {
        return_code: codes::SUCCESS.0,
        error_message: "",
        trx_type,
        settle_date: protocol_date(date),
        settle_type: SETTLE_TYPE,
        num_of_payments: statement.totals.payments.to_string(),
        sum_of_pay_amount: format_yuan(statement.totals.pay_fen),
        num_of_refunds: statement.totals.refunds.to_string(),
        sum_of_refund_amount: format_yuan(statement.totals.refund_fen),
        detail_records,
        zip_detail_records,
    };
    answer::message(merchant_id, response)
}
