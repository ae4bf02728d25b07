//! The `[secrets]` settings: where the key-encryption keys (KEKs) live that seal the secrets the
//! database keeps (app secrets, channel private keys; see `unipay_core::secrets`). The keys are
//! files, never values of this file or of the database, so that a copy of either opens nothing.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use unipay_core::secrets::{Kek, Keyring};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsConfig {
    /// The current KEK: a file holding 32 bytes as 64 hex characters (`unipay init` writes one,
    /// owner-only). New secrets are sealed under it.
    pub kek_file: String,
    /// Older KEK files, still read while `unipay admin rotate-kek` moves what they sealed to
    /// the current one.
    pub previous_kek_files: Vec<String>,
}

impl SecretsConfig {
    /// The keyring, if a KEK file is named; an error if a named file cannot be read or holds
    /// no key.
    pub fn keyring(&self) -> Result<Option<Arc<Keyring>>, ConfigError> {
        if self.kek_file.trim().is_empty() {
            return Ok(None);
        }
        let current = read_kek(&self.kek_file)?;
        let previous = self
            .previous_kek_files
            .iter()
            .filter(|path| !path.trim().is_empty())
            .map(|path| read_kek(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(Arc::new(Keyring::new(current, previous))))
    }

    /// The keyring a server cannot run without: it must never keep a secret in plaintext,
    /// nor be unable to read the secrets it has.
    pub fn require_keyring(&self) -> Result<Arc<Keyring>, ConfigError> {
        self.keyring()?.ok_or_else(|| {
            ConfigError::Invalid(
                "secrets.kek_file is not set: stored secrets cannot be sealed or opened without \
                 it. Set [secrets] kek_file (a file of 64 hex characters; `unipay init` writes \
                 one) or UNIPAY_SECRETS_KEK_FILE"
                    .to_string(),
            )
        })
    }
}

fn read_kek(path: &str) -> Result<Kek, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_string(),
        source,
    })?;
    Kek::from_hex(&text).map_err(|e| ConfigError::Invalid(format!("KEK file {path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kek_file(hex: &str) -> String {
        let path = std::env::temp_dir().join(format!("kek-{}", Kek::generate_hex()));
        std::fs::write(&path, format!("{hex}\n")).unwrap();
        path.display().to_string()
    }

    /// Proves the keyring is read from the current and previous files, is required by name,
    /// and that a file without a key is an error naming it.
    #[test]
    fn keys_are_read_from_their_files_and_required() {
        let missing = SecretsConfig::default().require_keyring().unwrap_err();
        assert!(missing.to_string().contains("secrets.kek_file is not set"));
        let current = kek_file(&Kek::generate_hex());
        let previous = kek_file(&Kek::generate_hex());
        let config = SecretsConfig {
            kek_file: current.clone(),
            previous_kek_files: vec![previous.clone()],
        };
        let keyring = config.require_keyring().unwrap();
        assert_eq!(keyring.ids().len(), 2);
        let bad = kek_file("12");
        let error = SecretsConfig {
            kek_file: bad.clone(),
            previous_kek_files: Vec::new(),
        }
        .keyring()
        .unwrap_err();
        assert!(error.to_string().contains(&bad), "{error}");
        for path in [current, previous, bad] {
            let _ = std::fs::remove_file(path);
        }
    }
}
