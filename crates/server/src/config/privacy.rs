//! The `[privacy]` settings: where the key that hashes personal data lives. Personal data (card,
//! identity and mobile numbers, names) is kept only masked and as a keyed hash (see
//! `unipay_core::pii`); the key is what makes a repeat recognisable, so it must outlive every
//! record hashed with it and never change silently.

use super::ConfigError;
use serde::{Deserialize, Serialize};
use unipay_core::pii::PiiKey;

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacyConfig {
    /// 32 bytes as 64 hex characters (`unipay init` writes one). Prefer `hmac_key_file` in
    /// production, to keep the key out of the configuration file.
    pub hmac_key: String,
    /// A file holding the key as hex (e.g. a mounted secret).
    pub hmac_key_file: String,
}

impl std::fmt::Debug for PrivacyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyConfig")
            .field("hmac_key", &(!self.hmac_key.is_empty()).then_some(".."))
            .field("hmac_key_file", &self.hmac_key_file)
            .finish()
    }
}

impl PrivacyConfig {
    /// The key, if one is set; an error if the one set cannot be read or is not a key.
    pub fn key(&self) -> Result<Option<PiiKey>, ConfigError> {
        let text = if !self.hmac_key.is_empty() {
            self.hmac_key.clone()
        } else if !self.hmac_key_file.is_empty() {
            std::fs::read_to_string(&self.hmac_key_file).map_err(|source| ConfigError::Read {
                path: self.hmac_key_file.clone(),
                source,
            })?
        } else {
            return Ok(None);
        };
        PiiKey::from_hex(&text)
            .map(Some)
            .map_err(|e| ConfigError::Invalid(format!("privacy.hmac_key: {e}")))
    }

    /// The key a server cannot run without: it must never keep personal data it could not
    /// recognise again, nor fall back to a key that differs from run to run.
    pub fn require_key(&self) -> Result<PiiKey, ConfigError> {
        self.key()?.ok_or_else(|| {
            ConfigError::Invalid(
                "privacy.hmac_key is not set: personal data cannot be protected without it. \
                 Set [privacy] hmac_key (64 hex characters, `unipay init` writes one) or \
                 hmac_key_file, or UNIPAY_PRIVACY_HMAC_KEY / UNIPAY_PRIVACY_HMAC_KEY_FILE"
                    .to_string(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_read_from_the_setting_or_its_file_and_never_shown() {
        let hex_key = PiiKey::generate_hex();
        let config = PrivacyConfig {
            hmac_key: hex_key.clone(),
            hmac_key_file: String::new(),
        };
        assert!(config.require_key().is_ok());
        assert!(!format!("{config:?}").contains(&hex_key));
        let missing = PrivacyConfig::default().require_key().unwrap_err();
        assert!(missing.to_string().contains("privacy.hmac_key is not set"));
        let bad = PrivacyConfig {
            hmac_key: "12".into(),
            hmac_key_file: String::new(),
        };
        assert!(bad.key().is_err());
        let path = std::env::temp_dir().join(format!("pii-{}", PiiKey::generate_hex()));
        std::fs::write(&path, format!("{hex_key}\n")).unwrap();
        let from_file = PrivacyConfig {
            hmac_key: String::new(),
            hmac_key_file: path.display().to_string(),
        };
        assert!(from_file.key().unwrap().is_some());
        let _ = std::fs::remove_file(path);
    }
}
