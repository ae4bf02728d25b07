//! signMethod `11` and `12`: a keyed digest with a secret shared with UnionPay (no
//! certificate). `signature = lowerhex(H(S + "&" + lowerhex(H(secure key))))`.

use super::digest::{HashAlgorithm, lower_hex};
use super::{MessageSigner, SignError, SignMethod, Version};
use crate::charset::Charset;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecureKeyDigest {
    /// signMethod `11`.
    Sha256,
    /// signMethod `12`.
    Sm3,
}

impl SecureKeyDigest {
    fn algorithm(self) -> HashAlgorithm {
        match self {
            SecureKeyDigest::Sha256 => HashAlgorithm::Sha256,
            SecureKeyDigest::Sm3 => HashAlgorithm::Sm3,
        }
    }
}

#[derive(Clone)]
pub struct SecureKeySigner {
    digest: SecureKeyDigest,
    secure_key: String,
}

impl std::fmt::Debug for SecureKeySigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        write!(f, "SecureKeySigner({:?})", self.digest)
    }
}

impl SecureKeySigner {
    pub fn new(digest: SecureKeyDigest, secure_key: impl Into<String>) -> SecureKeySigner {
        SecureKeySigner {
            digest,
            secure_key: secure_key.into(),
        }
    }

    pub fn digest(&self) -> SecureKeyDigest {
        self.digest
    }

    /// The signature of `signed` (the string to sign, in `charset`).
    pub fn compute(&self, charset: Charset, signed: &[u8]) -> Result<String, SignError> {
        let algorithm = self.digest.algorithm();
        let key_digest = lower_hex(algorithm, &charset.encode(&self.secure_key)?);
        let mut keyed = Vec::with_capacity(signed.len() + 1 + key_digest.len());
        keyed.extend_from_slice(signed);
        keyed.push(b'&');
        keyed.extend_from_slice(key_digest.as_bytes());
        Ok(lower_hex(algorithm, &keyed))
    }

    /// Compares in time independent of where the texts differ: the signature is a MAC.
    pub fn matches(&self, charset: Charset, signed: &[u8], signature: &str) -> bool {
        let Ok(expected) = self.compute(charset, signed) else {
            return false;
        };
        let received = signature.to_ascii_lowercase();
        expected.len() == received.len()
            && expected
                .bytes()
                .zip(received.bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

impl MessageSigner for SecureKeySigner {
    fn sign_method(&self) -> SignMethod {
        match self.digest {
            SecureKeyDigest::Sha256 => SignMethod::SecureKeySha256,
            SecureKeyDigest::Sm3 => SignMethod::SecureKeySm3,
        }
    }

    fn cert_id(&self) -> Option<&str> {
        None
    }

    fn signature(
        &self,
        _version: Version,
        charset: Charset,
        signed: &[u8],
    ) -> Result<String, SignError> {
        self.compute(charset, signed)
    }
}
