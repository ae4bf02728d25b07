//! Secrets at rest: every secret the database keeps (an app's HMAC secret, a channel account's
//! private key) is sealed with AES-256-GCM under a key-encryption key (KEK) that lives outside
//! the database, in a file. A copy of the database alone signs nothing and opens nothing.
//!
//! A sealed value is text, `v1:<kid>:<base64 of nonce ‖ ciphertext ‖ tag>`: the kid names the
//! KEK it was sealed under, so that values sealed under an older KEK stay readable while a
//! rotation re-seals them under the new one. The value's place (table, column and row id) is
//! bound in as associated data: a sealed value copied to another row, or to another column of
//! the same row, does not open there.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngExt;
use sha2::{Digest, Sha256};

/// What every sealed value starts with; a stored value without it was written before secrets
/// were sealed.
pub const SEALED_PREFIX: &str = "v1:";
const KEK_BYTES: usize = 32;
const NONCE_BYTES: usize = 12;
/// Hex characters of a KEK's id: 64 bits of its hash, enough to tell a handful of keys apart.
const KID_HEX_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("a key-encryption key is 32 bytes written as 64 hex characters")]
    BadKek,
    #[error("{place} is not a sealed value")]
    NotSealed { place: String },
    #[error("{place} is sealed under key {kid}, which is not configured")]
    UnknownKey { place: String, kid: String },
    #[error("{place} does not open: altered, or sealed for another place")]
    DoesNotOpen { place: String },
}

/// One key-encryption key. Its id is derived from the key itself, so the same file always
/// has the same id and no id needs to be kept beside it.
pub struct Kek {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Kek {
    // The key never reaches a log; its id is no secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kek")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Kek {
    /// A key from its hex text (surrounding whitespace, such as a file's last newline, is
    /// ignored).
    pub fn from_hex(text: &str) -> Result<Kek, SecretError> {
        let bytes = hex::decode(text.trim()).map_err(|_| SecretError::BadKek)?;
        if bytes.len() != KEK_BYTES {
            return Err(SecretError::BadKek);
        }
        let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| SecretError::BadKek)?;
        let mut hash = Sha256::new();
        hash.update(b"unipay kek id\0");
        hash.update(&bytes);
        let mut id = hex::encode(hash.finalize());
        id.truncate(KID_HEX_LEN);
        Ok(Kek { id, cipher })
    }

    /// A new random key as hex, for a KEK file (`unipay init`, the demo, tests).
    pub fn generate_hex() -> String {
        let bytes: [u8; KEK_BYTES] = rand::rng().random();
        hex::encode(bytes)
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The KEKs a node knows: the current one, which seals, and older ones that still open what
/// they sealed until a rotation has re-sealed it.
#[derive(Debug)]
pub struct Keyring {
    current: Kek,
    previous: Vec<Kek>,
}

/// Where a secret is kept: `table.column` and the row's id, bound into its seal.
pub fn place(table_column: &str, row_id: &str) -> String {
    format!("{table_column}:{row_id}")
}

/// Whether a stored value is sealed (else it is plaintext from before sealing).
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(SEALED_PREFIX)
}

/// The id of the KEK a stored value is sealed under, if it is sealed.
pub fn sealed_under(stored: &str) -> Option<&str> {
    let rest = stored.strip_prefix(SEALED_PREFIX)?;
    rest.split_once(':').map(|(kid, _)| kid)
}

impl Keyring {
    pub fn new(current: Kek, previous: Vec<Kek>) -> Keyring {
        Keyring { current, previous }
    }

    /// The id new seals carry.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Every configured id, current first.
    pub fn ids(&self) -> Vec<&str> {
        std::iter::once(&self.current)
            .chain(&self.previous)
            .map(Kek::id)
            .collect()
    }

    /// Seals `plaintext` for `place` under the current KEK, with a fresh random nonce.
    pub fn seal(&self, place: &str, plaintext: &str) -> Result<String, SecretError> {
        let nonce: [u8; NONCE_BYTES] = rand::rng().random();
        let kid = self.current.id();
        let aad = associated_data(kid, place);
        let sealed = self
            .current
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SecretError::DoesNotOpen {
                place: place.to_string(),
            })?;
        let mut body = Vec::with_capacity(NONCE_BYTES + sealed.len());
        body.extend_from_slice(&nonce);
        body.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{kid}:{}", BASE64.encode(body)))
    }

    /// The plaintext of a value sealed for `place`, under whichever configured KEK its kid
    /// names.
    pub fn open(&self, place: &str, stored: &str) -> Result<String, SecretError> {
        let does_not_open = || SecretError::DoesNotOpen {
            place: place.to_string(),
        };
        let rest = stored
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| SecretError::NotSealed {
                place: place.to_string(),
            })?;
        let (kid, body) = rest.split_once(':').ok_or_else(does_not_open)?;
        let kek = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|kek| kek.id() == kid)
            .ok_or_else(|| SecretError::UnknownKey {
                place: place.to_string(),
                kid: kid.to_string(),
            })?;
        let body = BASE64.decode(body).map_err(|_| does_not_open())?;
        let (nonce, sealed) = body
            .split_at_checked(NONCE_BYTES)
            .ok_or_else(does_not_open)?;
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| does_not_open())?;
        let aad = associated_data(kid, place);
        let plain = kek
            .cipher
            .decrypt(
                &nonce.into(),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| does_not_open())?;
        String::from_utf8(plain).map_err(|_| does_not_open())
    }
}

/// The header and the place, so that neither can be changed without the seal failing.
fn associated_data(kid: &str, place: &str) -> String {
    format!("{SEALED_PREFIX}{kid}:{place}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn fresh_keyring() -> (Keyring, String) {
        let hex = Kek::generate_hex();
        (Keyring::new(Kek::from_hex(&hex).unwrap(), Vec::new()), hex)
    }

    /// Proves a sealed value opens at its own place only, hides its plaintext and names its key.
    #[test]
    fn a_seal_opens_only_where_it_was_made() {
        let (keyring, _) = fresh_keyring();
        let here = place("apps.secret", "app_1");
        let sealed = keyring.seal(&here, "s3cret-value").unwrap();
        assert!(is_sealed(&sealed));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(sealed_under(&sealed), Some(keyring.current_id()));
        assert_eq!(keyring.open(&here, &sealed).unwrap(), "s3cret-value");
        let elsewhere = place("apps.secret", "app_2");
        assert!(matches!(
            keyring.open(&elsewhere, &sealed),
            Err(SecretError::DoesNotOpen { .. })
        ));
        let other_column = place("channel_accounts.private_key_pem", "app_1");
        assert!(keyring.open(&other_column, &sealed).is_err());
        // Two seals of one value differ (fresh nonces).
        assert_ne!(keyring.seal(&here, "s3cret-value").unwrap(), sealed);
    }

    /// Proves an altered value, plaintext and an unknown key are refused, each with its reason.
    #[test]
    fn altered_plain_and_unknown_are_refused() {
        let (keyring, _) = fresh_keyring();
        let here = place("apps.secret", "app_1");
        let sealed = keyring.seal(&here, "value").unwrap();
        let mut altered = sealed.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(keyring.open(&here, &altered).is_err());
        assert!(matches!(
            keyring.open(&here, "value"),
            Err(SecretError::NotSealed { .. })
        ));
        let (stranger, _) = fresh_keyring();
        assert!(matches!(
            stranger.open(&here, &sealed),
            Err(SecretError::UnknownKey { .. })
        ));
        assert!(keyring.open(&here, "v1:").is_err());
        assert!(keyring.open(&here, "v1:x:!!").is_err());
    }

    /// Proves a previous KEK still opens what it sealed, while new seals use the current one.
    #[test]
    fn previous_keys_open_and_the_current_one_seals() {
        let old_hex = Kek::generate_hex();
        let old = Keyring::new(Kek::from_hex(&old_hex).unwrap(), Vec::new());
        let here = place("apps.secret", "app_1");
        let sealed_old = old.seal(&here, "value").unwrap();
        let new = Keyring::new(
            Kek::from_hex(&Kek::generate_hex()).unwrap(),
            vec![Kek::from_hex(&format!("{old_hex}\n")).unwrap()],
        );
        assert_eq!(new.open(&here, &sealed_old).unwrap(), "value");
        let resealed = new.seal(&here, "value").unwrap();
        assert_eq!(sealed_under(&resealed), Some(new.current_id()));
        assert_ne!(new.current_id(), old.current_id());
        assert_eq!(new.ids().len(), 2);
    }

    /// Proves a key file's text must be exactly 32 bytes of hex, and that a key never shows.
    #[test]
    fn keys_are_32_bytes_of_hex_and_never_shown() {
        assert!(Kek::from_hex("12").is_err());
        assert!(Kek::from_hex(&"zz".repeat(32)).is_err());
        let hex = Kek::generate_hex();
        let kek = Kek::from_hex(&hex).unwrap();
        assert!(!format!("{kek:?}").contains(&hex));
        assert_eq!(Kek::from_hex(&hex).unwrap().id(), kek.id());
    }
}
