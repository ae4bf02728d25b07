//! Personal data (card, identity and mobile numbers, names): what may be kept of it. Never the
//! value itself; its mask (for people to recognise it) and a keyed hash (for the platform to
//! recognise a repeat of it without being able to recover it, even from a stolen database).

use crate::masking::{mask_card, mask_id, mask_mobile, mask_name};
use hmac::{Hmac, KeyInit, Mac};
use rand::RngExt;
use sha2::Sha256;

/// Length of a [`PiiKey`] in bytes.
pub const PII_KEY_BYTES: usize = 32;

/// What a personal value is: it decides how the value is normalised and masked, and keeps the
/// hashes of different kinds apart (a card number and a mobile number with the same digits are
/// not the same fact).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiKind {
    /// A bank card or account number.
    Card,
    /// An identity document number (居民身份证, passport, ...).
    Certificate,
    Mobile,
    /// A person's or company's name.
    Name,
}

impl PiiKind {
    fn tag(self) -> &'static [u8] {
        match self {
            PiiKind::Card => b"card",
            PiiKind::Certificate => b"certificate",
            PiiKind::Mobile => b"mobile",
            PiiKind::Name => b"name",
        }
    }

    /// The value as it is compared: the same person written twice is the same text.
    pub fn normalise(self, value: &str) -> String {
        match self {
            // Spaces and dashes are how people group digits, not part of the number; the
            // check character of a 居民身份证 is written `x` as often as `X`.
            PiiKind::Card | PiiKind::Certificate | PiiKind::Mobile => value
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .flat_map(char::to_uppercase)
                .collect(),
            PiiKind::Name => value.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }

    /// The form that may be shown and kept: card first 6 + last 4; identity and mobile
    /// numbers first 3 + last 4; names their first character.
    pub fn mask(self, value: &str) -> String {
        let value = self.normalise(value);
        match self {
            PiiKind::Card => mask_card(&value),
            PiiKind::Certificate => mask_id(&value),
            PiiKind::Mobile => mask_mobile(&value),
            PiiKind::Name => mask_name(&value),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PiiKeyError {
    #[error("the personal-data key must be {PII_KEY_BYTES} bytes written as hex")]
    BadLength,
    #[error("the personal-data key is not hex")]
    NotHex,
}

/// The server secret that keys the hashes of personal data. Without it a hash cannot be
/// checked against a guess, which a plain hash of an 18-digit ID number would allow.
#[derive(Clone)]
pub struct PiiKey {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for PiiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiKey(..)")
    }
}

impl PiiKey {
    /// Reads a key written as hex (surrounding whitespace ignored, as in a key file).
    pub fn from_hex(text: &str) -> Result<PiiKey, PiiKeyError> {
        let bytes = hex::decode(text.trim()).map_err(|_| PiiKeyError::NotHex)?;
        if bytes.len() != PII_KEY_BYTES {
            return Err(PiiKeyError::BadLength);
        }
        PiiKey::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<PiiKey, PiiKeyError> {
        let mac = Hmac::<Sha256>::new_from_slice(bytes).map_err(|_| PiiKeyError::BadLength)?;
        Ok(PiiKey { mac })
    }

    /// A new random key, written as hex (for `unipay init`).
    pub fn generate_hex() -> String {
        let bytes: [u8; PII_KEY_BYTES] = rand::rng().random();
        hex::encode(bytes)
    }

    /// The keyed hash of a personal value, lowercase hex: the same value (after
    /// [`PiiKind::normalise`]) always gives the same fingerprint under the same key.
    pub fn fingerprint(&self, kind: PiiKind, value: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(kind.tag());
        mac.update(&[0]);
        mac.update(kind.normalise(value).as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The keyed hash of a message that holds personal data among other things (an API
    /// request body kept to recognise its retry), lowercase hex. A plain hash of it could be
    /// checked against guesses.
    pub fn digest(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.mac.clone();
        mac.update(b"message");
        for part in parts {
            mac.update(&[0]);
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// What may be kept of a personal value: its mask and its fingerprint.
    pub fn protect(&self, kind: PiiKind, value: &str) -> Protected {
        Protected {
            masked: kind.mask(value),
            fingerprint: self.fingerprint(kind, value),
        }
    }
}

/// A personal value as it may be kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protected {
    pub masked: String,
    pub fingerprint: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PiiKey {
        PiiKey::from_hex(&hex::encode([byte; PII_KEY_BYTES])).unwrap()
    }

    #[test]
    fn a_repeat_is_recognised_however_it_is_written() {
        let key = key(7);
        let a = key.fingerprint(PiiKind::Certificate, "11010119900307123x");
        let b = key.fingerprint(PiiKind::Certificate, " 11010119900307123X ");
        assert_eq!(a, b);
        assert_eq!(
            key.fingerprint(PiiKind::Card, "6228 4800 1234 5678"),
            key.fingerprint(PiiKind::Card, "6228480012345678")
        );
        assert_eq!(
            key.fingerprint(PiiKind::Name, " 张  三 "),
            key.fingerprint(PiiKind::Name, "张 三")
        );
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn kinds_and_keys_keep_hashes_apart() {
        let key7 = key(7);
        assert_ne!(
            key7.fingerprint(PiiKind::Card, "13800138000"),
            key7.fingerprint(PiiKind::Mobile, "13800138000")
        );
        assert_ne!(
            key7.fingerprint(PiiKind::Card, "6228480012345678"),
            key(8).fingerprint(PiiKind::Card, "6228480012345678")
        );
    }

    #[test]
    fn keys_are_read_strictly_and_never_shown() {
        assert_eq!(PiiKey::from_hex("zz").unwrap_err(), PiiKeyError::NotHex);
        assert_eq!(
            PiiKey::from_hex("abcd").unwrap_err(),
            PiiKeyError::BadLength
        );
        let generated = PiiKey::generate_hex();
        assert_eq!(generated.len(), PII_KEY_BYTES * 2);
        let key = PiiKey::from_hex(&format!("{generated}\n")).unwrap();
        assert_eq!(format!("{key:?}"), "PiiKey(..)");
    }

    #[test]
    fn masks_by_kind() {
        let key = key(1);
        let card = key.protect(PiiKind::Card, "6228 4800 1234 5678");
        assert_eq!(card.masked, "622848******5678");
        assert_eq!(
            PiiKind::Certificate.mask("11010119900307123x"),
            "110***********123X"
        );
        assert_eq!(PiiKind::Mobile.mask("13800138000"), "138****8000");
        assert_eq!(PiiKind::Name.mask("张三丰"), "张**");
    }
}
