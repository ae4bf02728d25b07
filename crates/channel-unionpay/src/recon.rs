//! The reconciliation file (对账文件) the file download (`76`) delivers, layer by layer:
//! `fileContent` is base64 of a zlib stream of a zip; the zip holds the ZM file (一般交易明细,
//! fixed-width GBK lines) and a GBK summary report. The ZM file is streamed line by line, as
//! the ABC statement is, so a large day costs no more memory than a small one.

mod archive;
mod statement;
mod summary;
mod zm_layout;
mod zm_line;
mod zm_reader;

pub use archive::{ReconciliationArchive, ZmFileName, unpack_file_content};
pub use statement::{COLUMNS, declared_totals, parse_archive, read_zip};
pub use summary::{DeclaredTotals, SummaryError};
pub use zm_layout::{LINE_BYTES, ZmField};
pub use zm_line::{Direction, SignedFen, ZmLine};
pub use zm_reader::{ZmSink, ZmSummary, parse_zm};

/// The largest file accepted once unpacked: a busy merchant's day is tens of megabytes; the
/// bound stops a small answer from inflating without end.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconError {
    #[error("fileContent is not base64")]
    NotBase64,
    #[error("fileContent is not a zlib stream: {0}")]
    NotZlib(String),
    #[error("the file is larger than {MAX_UNPACKED_BYTES} bytes unpacked")]
    TooLarge,
    #[error("the zip cannot be read: {0}")]
    Zip(String),
    #[error("the zip holds no {0} file")]
    MissingFile(&'static str),
}

#[cfg(test)]
mod tests;
