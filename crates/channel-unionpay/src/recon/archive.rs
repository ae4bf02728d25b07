//! From `fileContent` to the files: base64, then zlib (the SDKs' `Inflater(false)`, PHP's
//! `gzuncompress`), then the zip.

use super::{MAX_UNPACKED_BYTES, ReconError};
use base64::Engine;
use std::io::{Cursor, Read};

/// The zip's bytes from a `fileContent` value.
pub fn unpack_file_content(file_content: &str) -> Result<Vec<u8>, ReconError> {
    let compact: String = file_content
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| ReconError::NotBase64)?;
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(compressed.as_slice())
        .take(MAX_UNPACKED_BYTES + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| ReconError::NotZlib(e.to_string()))?;
    if inflated.len() as u64 > MAX_UNPACKED_BYTES {
        return Err(ReconError::TooLarge);
    }
    Ok(inflated)
}

/// The name of a ZM file: `INN` + `yymmdd` (settlement date) + `88` + `ZM_` + merId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZmFileName {
    /// `yymmdd`, as written.
    pub settle_date: String,
    pub mer_id: String,
}

impl ZmFileName {
    /// Reads a name the way UnionPay's .NET demo selects ZM files (`INN` at 0, `ZM_` at 11);
    /// ZME files (差错交易, `ZME_`) are not ZM files.
    pub fn parse(name: &str) -> Option<ZmFileName> {
        let base = name.rsplit('/').next().unwrap_or(name);
        if !base.starts_with("INN") || base.get(11..14) != Some("ZM_") {
            return None;
        }
        let settle_date = base.get(3..9)?;
        if !settle_date.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(ZmFileName {
            settle_date: settle_date.to_string(),
            mer_id: base.get(14..)?.to_string(),
        })
    }
}

/// The zip the file download delivers.
pub struct ReconciliationArchive<'z> {
    zip: zip::ZipArchive<Cursor<&'z [u8]>>,
}

impl std::fmt::Debug for ReconciliationArchive<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReconciliationArchive")
            .field("files", &self.file_names())
            .finish()
    }
}

impl<'z> ReconciliationArchive<'z> {
    pub fn new(zip: &'z [u8]) -> Result<ReconciliationArchive<'z>, ReconError> {
        let zip =
            zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| ReconError::Zip(e.to_string()))?;
        Ok(ReconciliationArchive { zip })
    }

    pub fn file_names(&self) -> Vec<String> {
        self.zip.file_names().map(str::to_string).collect()
    }

    /// The ZM file's name and what it says about itself.
    pub fn zm_file(&self) -> Option<(String, ZmFileName)> {
        let mut names: Vec<&str> = self.zip.file_names().collect();
        names.sort_unstable();
        names
            .into_iter()
            .find_map(|name| ZmFileName::parse(name).map(|parsed| (name.to_string(), parsed)))
    }

    /// Streams the ZM file's bytes into `read` (inflated as read, never held whole).
    pub fn read_zm<T>(&mut self, read: impl FnOnce(&mut dyn Read) -> T) -> Result<T, ReconError> {
        let (name, _) = self.zm_file().ok_or(ReconError::MissingFile("ZM"))?;
        let entry = self
            .zip
            .by_name(&name)
            .map_err(|e| ReconError::Zip(e.to_string()))?;
        let mut bounded = entry.take(MAX_UNPACKED_BYTES);
        Ok(read(&mut bounded))
    }

    /// The summary report (`RD…`), decoded from GBK (lossily: it is for people).
    pub fn summary_text(&mut self) -> Result<String, ReconError> {
        let mut names: Vec<String> = self.file_names();
        names.sort_unstable();
        let name = names
            .into_iter()
            .find(|name| {
                name.rsplit('/')
                    .next()
                    .is_some_and(|base| base.starts_with("RD"))
            })
            .ok_or(ReconError::MissingFile("RD summary"))?;
        let mut bytes = Vec::new();
        self.zip
            .by_name(&name)
            .map_err(|e| ReconError::Zip(e.to_string()))?
            .take(MAX_UNPACKED_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| ReconError::Zip(e.to_string()))?;
        let (text, _) = encoding_rs::GBK.decode_without_bom_handling(&bytes);
        Ok(text.into_owned())
    }
}
