//! Reconciliation file download (`76/01`, bizType `000000`, to the file host's root): the
//! answer carries the day's zip in `fileContent` (see [`crate::recon`] for its layers).

use super::common::{Merchant, MessageError, TxnTime, TxnType, text_field};
use super::names::*;
use super::response_code::{CodeClass, classify};
use crate::fields::Fields;
use crate::recon::{ReconError, unpack_file_content};

/// `fileType` of the merchant's ordinary daily files.
const FILE_TYPE_DAILY: &str = "00";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDownloadRequest {
    /// The settlement date, `MMDD`.
    pub settle_date: String,
    /// Now, Beijing time.
    pub txn_time: TxnTime,
}

impl FileDownloadRequest {
    pub fn new(settle_date: &str, txn_time: TxnTime) -> Result<FileDownloadRequest, MessageError> {
        let month = settle_date.get(0..2).and_then(|m| m.parse::<u8>().ok());
        let day = settle_date.get(2..4).and_then(|d| d.parse::<u8>().ok());
        let valid = settle_date.len() == 4
            && settle_date.bytes().all(|b| b.is_ascii_digit())
            && month.is_some_and(|m| (1..=12).contains(&m))
            && day.is_some_and(|d| (1..=31).contains(&d));
        if !valid {
            return Err(MessageError::invalid(SETTLE_DATE, settle_date, "MMDD"));
        }
        Ok(FileDownloadRequest {
            settle_date: settle_date.to_string(),
            txn_time,
        })
    }

    pub fn fields(&self, merchant: &Merchant) -> Fields {
        let mut fields = merchant.base_fields(TxnType::FileDownload, "01", BIZ_GENERAL);
        fields.set(SETTLE_DATE, &self.settle_date);
        fields.set(TXN_TIME, self.txn_time.as_str());
        fields.set(FILE_TYPE, FILE_TYPE_DAILY);
        fields
    }
}

/// The day's file, as delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveredFile {
    /// `fileName` as UnionPay named it (e.g. `802310048993424_20150905.zip`), if it did.
    pub file_name: Option<String>,
    /// The zip, once base64 and zlib are undone.
    pub zip: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileDownloadOutcome {
    Delivered(DeliveredFile),
    /// `98`: no file for that date (not yet produced, or nothing to reconcile).
    NoFile {
        message: String,
    },
    /// `03`/`04`/`05`: ask again.
    Unknown {
        code: String,
        message: String,
    },
    Refused {
        code: String,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileDownloadError {
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error(transparent)]
    Content(#[from] ReconError),
}

impl FileDownloadOutcome {
    /// Types a verified answer (see [`super::read_answer`]), unpacking the file.
    pub fn from_answer(answer: &Fields) -> Result<FileDownloadOutcome, FileDownloadError> {
        let code = answer
            .get(RESP_CODE)
            .ok_or(MessageError::MissingField(RESP_CODE))?;
        let message = text_field(answer, RESP_MSG).unwrap_or_default();
        let outcome = match (code, classify(code)) {
            ("00", _) => {
                let content = answer
                    .get(FILE_CONTENT)
                    .ok_or(MessageError::MissingField(FILE_CONTENT))?;
                FileDownloadOutcome::Delivered(DeliveredFile {
                    file_name: text_field(answer, FILE_NAME),
                    zip: unpack_file_content(content)?,
                })
            }
            ("98", _) => FileDownloadOutcome::NoFile { message },
            (_, CodeClass::Unknown) => FileDownloadOutcome::Unknown {
                code: code.to_string(),
                message,
            },
            _ => FileDownloadOutcome::Refused {
                code: code.to_string(),
                message,
            },
        };
        Ok(outcome)
    }
}
