//! `Settle` (对账单查询: the statement of one accounting date) and `QueryTrnxRecords`
//! (交易流水查询: the transactions of some hours of a date). Both answers carry the file in
//! `DetailRecords` (GBK text) or `ZIPDetailRecords` (base64 of gzip), with totals it must add
//! up to.

use super::MessageError;
use serde::{Deserialize, Serialize};
use unipay_core::money::parse_yuan_to_fen;
use unipay_core::statement::StatementTotals;

/// `ZIP`: the file as plain text in `DetailRecords`.
pub const ZIP_PLAIN: &str = "0";
/// `ZIP`: the file gzip-compressed and base64-encoded in `ZIPDetailRecords`.
pub const ZIP_GZIP: &str = "1";

fn zip_flag(gzip: bool) -> String {
    if gzip { ZIP_GZIP } else { ZIP_PLAIN }.to_string()
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SettleRequest {
    /// Always `Settle`.
    pub trx_type: String,
    /// The accounting date, `YYYY/MM/DD`.
    pub settle_date: String,
    /// [`ZIP_PLAIN`] or [`ZIP_GZIP`].
    #[serde(rename = "ZIP")]
    pub zip: String,
}

impl SettleRequest {
    /// `settle_date` as `YYYY/MM/DD`.
    pub fn new(settle_date: &str, gzip: bool) -> SettleRequest {
        SettleRequest {
            trx_type: "Settle".to_string(),
            settle_date: settle_date.to_string(),
            zip: zip_flag(gzip),
        }
    }
}

/// TrxResponse of a Settle.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SettleResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub settle_date: String,
    pub settle_type: String,
    pub num_of_payments: String,
    /// Yuan.
    pub sum_of_pay_amount: String,
    pub num_of_refunds: String,
    /// Yuan.
    pub sum_of_refund_amount: String,
    /// The statement as GBK text (ZIP 0).
    pub detail_records: String,
    /// Base64 of the gzip-compressed statement (ZIP 1).
    #[serde(rename = "ZIPDetailRecords")]
    pub zip_detail_records: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TrnxRecordsRequest {
    /// Always `QueryTrnxRecords`.
    pub trx_type: String,
    /// `YYYY/MM/DD`.
    pub settle_date: String,
    /// The first hour, `0` to `23`.
    pub settle_start_hour: String,
    /// The last hour, `0` to `23`, included.
    pub settle_end_hour: String,
    /// [`ZIP_PLAIN`] or [`ZIP_GZIP`].
    #[serde(rename = "ZIP")]
    pub zip: String,
}

impl TrnxRecordsRequest {
    /// `settle_date` as `YYYY/MM/DD`; the hours are written as plain numbers (**assumed**: the
    /// public material gives their range, 0–23, not their padding).
    pub fn new(settle_date: &str, start_hour: u8, end_hour: u8, gzip: bool) -> TrnxRecordsRequest {
        TrnxRecordsRequest {
            trx_type: "QueryTrnxRecords".to_string(),
            settle_date: settle_date.to_string(),
            settle_start_hour: start_hour.to_string(),
            settle_end_hour: end_hour.to_string(),
            zip: zip_flag(gzip),
        }
    }
}

/// TrxResponse of a QueryTrnxRecords.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TrnxRecordsResponse {
    pub return_code: String,
    pub error_message: String,
    #[serde(rename = "ECMerchantType")]
    pub ec_merchant_type: String,
    #[serde(rename = "MerchantID")]
    pub merchant_id: String,
    pub trx_type: String,
    pub settle_date: String,
    pub settle_start_hour: String,
    pub settle_end_hour: String,
    pub num_of_payments: String,
    /// Yuan.
    pub sum_of_pay_amount: String,
    pub num_of_refunds: String,
    /// Yuan.
    pub sum_of_refund_amount: String,
    /// The records as GBK text (ZIP 0).
    pub detail_records: String,
    /// Base64 of the gzip-compressed records (ZIP 1).
    #[serde(rename = "ZIPDetailRecords")]
    pub zip_detail_records: String,
}

/// What the two statement answers share.
pub trait StatementResponse: super::ResponseHead {
    fn settle_date(&self) -> &str;
    /// NumOfPayments, SumOfPayAmount, NumOfRefunds, SumOfRefundAmount as written.
    fn totals_text(&self) -> [&str; 4];

    /// The declared totals. A missing figure counts as zero (an answer for a day without
    /// transactions may leave them out); a figure that is there must be exact.
    fn declared_totals(&self) -> Result<StatementTotals, MessageError> {
        let [payments, payments_yuan, refunds, refunds_yuan] = self.totals_text();
        Ok(StatementTotals {
            payments: count("NumOfPayments", payments)?,
            payments_fen: yuan("SumOfPayAmount", payments_yuan)?,
            refunds: count("NumOfRefunds", refunds)?,
            refunds_fen: yuan("SumOfRefundAmount", refunds_yuan)?,
        })
    }
}

fn count(field: &'static str, text: &str) -> Result<u64, MessageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MessageError::bad(field, format!("{text:?} is not a count")));
    }
    text.parse().map_err(|e| MessageError::bad(field, e))
}

/// A sum in yuan; a refund sum may be written negative (money going out): its size counts.
fn yuan(field: &'static str, text: &str) -> Result<i64, MessageError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    parse_yuan_to_fen(text)
        .map(i64::abs)
        .map_err(|e| MessageError::bad(field, e))
}

impl StatementResponse for SettleResponse {
    fn settle_date(&self) -> &str {
        &self.settle_date
    }
    fn totals_text(&self) -> [&str; 4] {
        [
            &self.num_of_payments,
            &self.sum_of_pay_amount,
            &self.num_of_refunds,
            &self.sum_of_refund_amount,
        ]
    }
}

impl StatementResponse for TrnxRecordsResponse {
    fn settle_date(&self) -> &str {
        &self.settle_date
    }
    fn totals_text(&self) -> [&str; 4] {
        [
            &self.num_of_payments,
            &self.sum_of_pay_amount,
            &self.num_of_refunds,
            &self.sum_of_refund_amount,
        ]
    }
}
