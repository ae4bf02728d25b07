//! A settlement batch's file as it may be handed out: only while it still matches the SHA-256
//! recorded when the batch was made.

use crate::{Store, StoreError};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettlementFile {
    File {
        csv: String,
        sha256: String,
    },
    /// The stored file no longer matches its hash: not handed out.
    Tampered,
    NotFound,
}

impl Store {
    pub async fn settlement_file(&self, batch_id: &str) -> Result<SettlementFile, StoreError> {
        let Some(batch) = self.get_batch(batch_id).await? else {
            return Ok(SettlementFile::NotFound);
        };
        let sha256 = hex::encode(Sha256::digest(batch.file_csv.as_bytes()));
        if sha256 != batch.file_sha256 {
            return Ok(SettlementFile::Tampered);
        }
        Ok(SettlementFile::File {
            csv: batch.file_csv,
            sha256,
        })
    }
}
