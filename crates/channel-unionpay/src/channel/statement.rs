//! The reconciliation file download (`76/01`, `settleDate` = `MMDD`) to UnionPay's file host,
//! and what its answer means: `00` the day's zip (kept as the statement file, its summary's
//! totals as the declared ones), `98` no file (not produced yet, or a day without
//! transactions: asked again later), `03`/`04`/`05` not known, anything else refused.

use super::account::UnionPayAccount;
use super::exchange::sealed;
use super::record::{raw_message, txn_time};
use crate::messages::names::{FILE_CONTENT, SETTLE_DATE};
use crate::messages::{FileDownloadOutcome, FileDownloadRequest, read_answer};
use crate::recon::{ReconciliationArchive, declared_totals};
use sha2::{Digest, Sha256};
use unipay_core::channel::{ChannelError, StatementFile};

/// The file host takes the download at its root.
const FILE_PATH: &str = "/";

/// UnionPay's gateways and the file hosts beside them (§1 of the protocol page); any other
/// gateway (a simulator, a proxy) serves the file at its own root.
const FILE_HOSTS: [(&str, &str); 2] = [
    (
        "https://gateway.95516.com",
        "https://filedownload.95516.com",
    ),
    (
        "https://gateway.test.95516.com",
        "https://filedownload.test.95516.com",
    ),
];

/// Where the file download goes for `account`.
pub(super) fn file_url(account: &UnionPayAccount) -> String {
    let host = FILE_HOSTS
        .iter()
        .find(|(gateway, _)| account.gateway_url == *gateway)
        .map_or(account.gateway_url.as_str(), |(_, file_host)| file_host);
    format!("{host}{FILE_PATH}")
}

/// The signed request for `accounting_date` (`YYYY-MM-DD`).
pub(super) fn request(
    account: &UnionPayAccount,
    accounting_date: &str,
    now_ms: i64,
) -> Result<(crate::Fields, Vec<u8>), ChannelError> {
    let bad = |e: &dyn std::fmt::Display| {
        ChannelError::Unreachable(format!("file download not sent: {e}"))
    };
    let date = chrono::NaiveDate::parse_from_str(accounting_date, "%Y-%m-%d")
        .ok()
        .filter(|_| accounting_date.len() == 10)
        .ok_or_else(|| bad(&format!("{accounting_date:?} is not a date YYYY-MM-DD")))?;
    let download = FileDownloadRequest::new(
        &date.format("%m%d").to_string(),
        txn_time(now_ms).map_err(|e| bad(&e))?,
    )
    .map_err(|e| bad(&e))?;
    sealed(account, download.fields(&account.merchant), bad)
}

/// Verifies and reads the answer; blocks for the unpacking (run it off the async runtime).
pub(super) fn read(
    account: &UnionPayAccount,
    sent: &crate::Fields,
    accounting_date: &str,
    answer: &[u8],
    now_ms: i64,
) -> Result<StatementFile, ChannelError> {
    let bad = |e: &dyn std::fmt::Display| ChannelError::BadAnswer(e.to_string());
    let now_s = u64::try_from(now_ms / 1000).unwrap_or(0);
    let fields = read_answer(answer, sent, &account.verifier, now_s).map_err(|e| bad(&e))?;
    let asked = sent.get(SETTLE_DATE).unwrap_or_default();
    if let Some(answered) = fields.get(SETTLE_DATE)
        && answered != asked
    {
        return Err(bad(&format!(
            "answer is for settleDate {answered:?}, not {asked:?}"
        )));
    }
    let delivered = match FileDownloadOutcome::from_answer(&fields).map_err(|e| bad(&e))? {
        FileDownloadOutcome::Delivered(delivered) => delivered,
        FileDownloadOutcome::NoFile { message } => {
            return Err(ChannelError::NotReady(format!(
                "UnionPay has no reconciliation file of {accounting_date} yet (98 {message}): \
                 it is produced the next morning, and a day without transactions has none; \
                 fetch it again later"
            )));
        }
        FileDownloadOutcome::Unknown { code, message } => {
            return Err(ChannelError::Unknown(format!(
                "file download {code}: {message}"
            )));
        }
        FileDownloadOutcome::Refused { code, message } => {
            return Err(ChannelError::Refused { code, message });
        }
    };
    check_names(account, accounting_date, &delivered.zip)?;
    let declared = declared_totals(&delivered.zip).map_err(|e| bad(&e))?;
    // The record keeps every field but the file itself: it is kept as the statement, and its
    // lines hold card numbers (masked, but many).
    let mut recorded = fields.clone();
    let content_len = fields.get(FILE_CONTENT).map_or(0, str::len);
    recorded.set(FILE_CONTENT, format!("[omitted: {content_len} bytes]"));
    Ok(StatementFile {
        sha256: hex::encode(Sha256::digest(&delivered.zip)),
        bytes: delivered.zip,
        gzip: false,
        declared,
        raw: raw_message(answer, &recorded),
    })
}

/// The zip's ZM file must be ours and of the date asked for.
fn check_names(
    account: &UnionPayAccount,
    accounting_date: &str,
    zip: &[u8],
) -> Result<(), ChannelError> {
    let archive =
        ReconciliationArchive::new(zip).map_err(|e| ChannelError::BadAnswer(e.to_string()))?;
    let (name, parsed) = archive
        .zm_file()
        .ok_or_else(|| ChannelError::BadAnswer("the zip holds no ZM file".to_string()))?;
    let yymmdd: String = accounting_date
        .get(2..)
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if parsed.settle_date != yymmdd || parsed.mer_id != account.merchant.mer_id {
        return Err(ChannelError::BadAnswer(format!(
            "the zip's ZM file {name:?} is not merchant {}'s of {accounting_date}",
            account.merchant.mer_id
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
