//! Settle and QueryTrnxRecords: downloading a statement file as the platform delivers it.
//!
//! The file is kept exactly as delivered (once the base64 is undone) with its hash; reading it
//! is `crate::statement`'s job, as a stream, later.

use super::account::AbcAccount;
use super::answer;
use super::pay::unfit;
use crate::messages::{
    RequestMessage, SettleRequest, SettleResponse, StatementResponse, TrnxRecordsRequest,
    TrnxRecordsResponse,
};
use crate::wire::build_request;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::ops::Range;
use unipay_core::channel::{ChannelError, RawMessage, StatementFile};

/// We always ask for the gzip form: a day's file shrinks several times over.
const GZIP: bool = true;

/// A signed Settle for `accounting_date` (`YYYY-MM-DD`), and the date as the protocol writes it.
pub(super) fn settle_body(
    account: &AbcAccount,
    accounting_date: &str,
) -> Result<(Vec<u8>, String), ChannelError> {
    let settle_date = protocol_date(accounting_date)?;
    let body = signed(account, SettleRequest::new(&settle_date, GZIP))?;
    Ok((body, settle_date))
}

/// A signed QueryTrnxRecords for `date` (`YYYY-MM-DD`), hours `start_hour` to `end_hour`.
pub(super) fn trnx_records_body(
    account: &AbcAccount,
    date: &str,
    start_hour: u8,
    end_hour: u8,
) -> Result<(Vec<u8>, String), ChannelError> {
    if start_hour > end_hour || end_hour > 23 {
        return Err(unfit(format!(
            "hours {start_hour} to {end_hour}: each must be 0 to 23, the first not after the last"
        )));
    }
    let settle_date = protocol_date(date)?;
    let request = TrnxRecordsRequest::new(&settle_date, start_hour, end_hour, GZIP);
    Ok((signed(account, request)?, settle_date))
}

pub(super) fn read_settle_answer(
    account: &AbcAccount,
    settle_date: &str,
    body: Vec<u8>,
) -> Result<StatementFile, ChannelError> {
    read_answer::<SettleResponse>(account, "Settle", settle_date, body)
}

pub(super) fn read_trnx_records_answer(
    account: &AbcAccount,
    settle_date: &str,
    body: Vec<u8>,
) -> Result<StatementFile, ChannelError> {
    read_answer::<TrnxRecordsResponse>(account, "QueryTrnxRecords", settle_date, body)
}

fn signed<T: serde::Serialize>(account: &AbcAccount, request: T) -> Result<Vec<u8>, ChannelError> {
    let json = RequestMessage::new(&account.merchant_id, request)
        .to_json()
        .map_err(|e| unfit(e.to_string()))?;
    Ok(build_request(&json, &account.key, account.algorithm))
}

/// `YYYY-MM-DD` as the protocol's `YYYY/MM/DD`, checked to be a date.
pub(super) fn protocol_date(date: &str) -> Result<String, ChannelError> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .filter(|_| date.len() == 10)
        .map(|d| d.format("%Y/%m/%d").to_string())
        .ok_or_else(|| unfit(format!("{date:?} is not a date YYYY-MM-DD")))
}

/// Opens the answer, checks it is the file we asked for, and takes the file out of the body
/// (`body` is consumed: a plain file is cut out of it in place rather than copied).
fn read_answer<T: DeserializeOwned + StatementResponse>(
    account: &AbcAccount,
    trx_type: &str,
    settle_date: &str,
    mut body: Vec<u8>,
) -> Result<StatementFile, ChannelError> {
    let opened = answer::open_checked_statement::<T>(account, &body, trx_type)?;
    let r = &opened.message.trx_response;
    if !opened.success {
        return Err(answer::refusal(r.return_code(), r.error_message()));
    }
    let answered = r.settle_date();
    if !answered.is_empty() && digits(answered) != digits(settle_date) {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for {answered:?}, not {settle_date:?}"
        )));
    }
    let declared = r
        .declared_totals()
        .map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let in_body = |range: &Range<usize>| {
        Some(opened.message_offset + range.start..opened.message_offset + range.end)
            .filter(|r| !r.is_empty())
    };
    let detail = opened.carved.detail_records.as_ref().and_then(in_body);
    let zip = opened.carved.zip_detail_records.as_ref().and_then(in_body);
    let raw = raw_message(&body, &[&detail, &zip]);
    let (bytes, gzip) = match (zip, detail) {
        (Some(zip), _) => (decode_base64(body.get(zip).unwrap_or_default())?, true),
        (None, Some(detail)) => {
            body.truncate(detail.end);
            body.drain(..detail.start);
            (body, false)
        }
        // No file at all: a day without transactions, as far as the answer goes (its
        // declared totals say whether that is so).
        (None, None) => (Vec::new(), false),
    };
    Ok(StatementFile {
        sha256: hex::encode(Sha256::digest(&bytes)),
        bytes,
        gzip,
        declared,
        raw,
    })
}

fn digits(date: &str) -> String {
    date.chars().filter(char::is_ascii_digit).collect()
}

/// `ZIPDetailRecords`: standard base64, padded or not, perhaps wrapped into lines (some Java
/// encoders wrap at 76 columns).
fn decode_base64(text: &[u8]) -> Result<Vec<u8>, ChannelError> {
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let compact: Cow<'_, [u8]> = if text.iter().any(u8::is_ascii_whitespace) {
        Cow::Owned(
            text.iter()
                .copied()
                .filter(|b| !b.is_ascii_whitespace())
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    };
    engine
        .decode(compact)
        .map_err(|e| ChannelError::BadAnswer(format!("ZIPDetailRecords is not base64: {e}")))
}

/// The answer for the record: the hash of every byte received, but the text without the file
/// itself (`elided`, positions in the body): it can be a gigabyte, it is kept as the statement
/// file anyway, and its lines hold customers' account numbers.
fn raw_message(body: &[u8], elided: &[&Option<Range<usize>>]) -> RawMessage {
    let mut cuts: Vec<&Range<usize>> = elided.iter().copied().flatten().collect();
    cuts.sort_by_key(|r| r.start);
    let mut kept = Vec::with_capacity(1024);
    let mut from = 0;
    for cut in cuts {
        kept.extend_from_slice(body.get(from..cut.start).unwrap_or_default());
        kept.extend_from_slice(format!("[omitted: {} bytes]", cut.len()).as_bytes());
        from = cut.end;
    }
    kept.extend_from_slice(body.get(from..).unwrap_or_default());
    let (text, _, _) = encoding_rs::GBK.decode(&kept);
    RawMessage {
        masked: unipay_core::masking::mask_sensitive_fields(text.trim_end()),
        sha256: hex::encode(Sha256::digest(body)),
    }
}
