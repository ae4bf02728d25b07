//! The gateway's side of UnionPay's signatures (§7 of the protocol page): it checks what a
//! merchant signed and signs what it sends back, the same way the merchant used.
//!
//! The RSA methods sign the lower-hex text of a digest, not the digest: the SDKs hash twice.

use super::certificate::SimCertificate;
use super::form::{CERT_ID, Charset, Message, SIGN_PUB_KEY_CERT, SIGNATURE};
use super::merchants::MerchantKeys;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use sm3::Sm3;

pub const SIGN_METHOD: &str = "signMethod";
pub const VERSION: &str = "version";

/// How a merchant signs, and so how the gateway answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Sealing {
    /// signMethod 01, version 5.0.0: SHA-1, the bank's certificate named by `certId`.
    RsaSha1,
    /// signMethod 01, version 5.1.0: SHA-256, the bank's certificate carried in the message.
    RsaSha256,
    /// signMethod 11.
    SecureKeySha256,
    /// signMethod 12.
    SecureKeySm3,
    /// signMethod 21, version 5.1.0: SM3withSM2 with the merchant's SM2 certificate; the
    /// gateway's SM2 certificate carried in the message.
    Sm2,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("field {0} is missing")]
    Missing(&'static str),
    #[error("signMethod {0:?} with version {1:?} is not taken")]
    UnknownMethod(String, String),
    #[error("no certificate with certId {0} is registered for the merchant")]
    UnknownCertId(String),
    #[error("the merchant has no secure key registered")]
    NoSecureKey,
    #[error("the signature does not verify")]
    BadSignature,
}

/// What the gateway signs its messages with: its RSA and SM2 signing keys with the
/// certificates it presents for them, and a secure-key merchant's key.
pub struct GatewayKeys<'a> {
    pub rsa_key: &'a rsa::PrivateKey,
    pub rsa_certificate: &'a SimCertificate,
    pub sm2_key: &'a sm2::SecretKey,
    pub sm2_certificate: &'a SimCertificate,
    pub secure_key: Option<&'a str>,
}

impl Sealing {
    /// The way `message` says it is signed.
    pub fn of(message: &Message) -> Result<Sealing, SignatureError> {
        let method = message
            .get(SIGN_METHOD)
            .ok_or(SignatureError::Missing(SIGN_METHOD))?;
        let version = message
            .get(VERSION)
            .ok_or(SignatureError::Missing(VERSION))?;
        match (method, version) {
            ("01", "5.0.0") => Ok(Sealing::RsaSha1),
            ("01", "5.1.0") => Ok(Sealing::RsaSha256),
            ("11", "5.1.0") => Ok(Sealing::SecureKeySha256),
            ("12", "5.1.0") => Ok(Sealing::SecureKeySm3),
            ("21", "5.1.0") => Ok(Sealing::Sm2),
            _ => Err(SignatureError::UnknownMethod(
                method.to_string(),
                version.to_string(),
            )),
        }
    }

    pub fn sign_method(self) -> &'static str {
        match self {
            Sealing::RsaSha1 | Sealing::RsaSha256 => "01",
            Sealing::SecureKeySha256 => "11",
            Sealing::SecureKeySm3 => "12",
            Sealing::Sm2 => "21",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Sealing::RsaSha1 => "5.0.0",
            _ => "5.1.0",
        }
    }
}

fn lower_hex_digest(sealing: Sealing, data: &[u8]) -> String {
    match sealing {
        Sealing::RsaSha1 => hex::encode(Sha1::digest(data)),
        Sealing::RsaSha256 | Sealing::SecureKeySha256 => hex::encode(Sha256::digest(data)),
        Sealing::SecureKeySm3 | Sealing::Sm2 => hex::encode(Sm3::digest(data)),
    }
}

fn secure_key_signature(sealing: Sealing, charset: Charset, signed: &str, key: &str) -> String {
    let key_hex = lower_hex_digest(sealing, &charset.encode(key));
    lower_hex_digest(sealing, &charset.encode(&format!("{signed}&{key_hex}")))
}

/// Checks a merchant's request against the keys registered for its merId.
pub fn verify_request(message: &Message, keys: &MerchantKeys) -> Result<Sealing, SignatureError> {
    let sealing = Sealing::of(message)?;
    let charset = message
        .charset()
        .map_err(|_| SignatureError::Missing("encoding"))?;
    let signature = message
        .get(SIGNATURE)
        .ok_or(SignatureError::Missing(SIGNATURE))?;
    let signed = message.string_to_sign();
    let verified = match sealing {
        Sealing::RsaSha1 | Sealing::RsaSha256 => {
            let cert_id = message
                .get(CERT_ID)
                .ok_or(SignatureError::Missing(CERT_ID))?;
            let key = keys
                .rsa_key(cert_id)
                .ok_or_else(|| SignatureError::UnknownCertId(cert_id.to_string()))?;
            let digest_hex = lower_hex_digest(sealing, &charset.encode(&signed));
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(signature)
                .map_err(|_| SignatureError::BadSignature)?;
            let signature =
                Signature::try_from(bytes.as_slice()).map_err(|_| SignatureError::BadSignature)?;
            match sealing {
                Sealing::RsaSha1 => VerifyingKey::<Sha1>::new(key.clone())
                    .verify(digest_hex.as_bytes(), &signature)
                    .is_ok(),
                _ => VerifyingKey::<Sha256>::new(key.clone())
                    .verify(digest_hex.as_bytes(), &signature)
                    .is_ok(),
            }
        }
        Sealing::Sm2 => {
            let cert_id = message
                .get(CERT_ID)
                .ok_or(SignatureError::Missing(CERT_ID))?;
            let key = keys
                .sm2_key(cert_id)
                .ok_or_else(|| SignatureError::UnknownCertId(cert_id.to_string()))?;
            // The merchant signs under its certId as the SM2 user ID.
            super::sm2_signature::verifies(key, cert_id, &charset.encode(&signed), signature)
        }
        Sealing::SecureKeySha256 | Sealing::SecureKeySm3 => {
            let key = keys.secure_key().ok_or(SignatureError::NoSecureKey)?;
            secure_key_signature(sealing, charset, &signed, key) == signature.to_ascii_lowercase()
        }
    };
    if verified {
        Ok(sealing)
    } else {
        Err(SignatureError::BadSignature)
    }
}

/// Signs `message` as UnionPay answers a merchant that signs with `sealing`: with its leaf
/// certificate carried (5.1.0) or named by `certId` (5.0.0), with its SM2 leaf carried and
/// named (signMethod 21), or with the merchant's secure key. Without the secure key a
/// secure-key merchant's message goes unsigned, as nothing can sign it.
pub fn seal(message: &mut Message, sealing: Sealing, keys: &GatewayKeys<'_>) {
    message.set(SIGN_METHOD, sealing.sign_method());
    message.set(VERSION, sealing.version());
    message.remove(SIGNATURE);
    message.remove(CERT_ID);
    message.remove(SIGN_PUB_KEY_CERT);
    let charset = message.charset().unwrap_or(Charset::Utf8);
    let signature = match sealing {
        Sealing::RsaSha1 | Sealing::RsaSha256 => {
            if sealing == Sealing::RsaSha1 {
                message.set(CERT_ID, keys.rsa_certificate.cert_id());
            } else {
                message.set(SIGN_PUB_KEY_CERT, keys.rsa_certificate.pem_crlf());
            }
            let digest_hex = lower_hex_digest(sealing, &charset.encode(&message.string_to_sign()));
            let bytes = if sealing == Sealing::RsaSha1 {
                SigningKey::<Sha1>::new(keys.rsa_key.clone())
                    .sign(digest_hex.as_bytes())
                    .to_vec()
            } else {
                SigningKey::<Sha256>::new(keys.rsa_key.clone())
                    .sign(digest_hex.as_bytes())
                    .to_vec()
            };
            base64::engine::general_purpose::STANDARD.encode(bytes)
        }
        Sealing::Sm2 => {
            let certificate = keys.sm2_certificate;
            message.set(CERT_ID, certificate.cert_id());
            message.set(SIGN_PUB_KEY_CERT, certificate.pem_crlf());
            // The user ID a 5.1.0 verifier takes: the carried leaf's serial, in decimal.
            let signed = charset.encode(&message.string_to_sign());
            match super::sm2_signature::sign(keys.sm2_key, certificate.cert_id(), &signed) {
                Some(signature) => signature,
                None => return,
            }
        }
        Sealing::SecureKeySha256 | Sealing::SecureKeySm3 => match keys.secure_key {
            Some(key) => secure_key_signature(sealing, charset, &message.string_to_sign(), key),
            None => return,
        },
    };
    message.set(SIGNATURE, signature);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// §7.5 written out again, independently of the code under test.
    #[test]
    fn secure_key_signature_follows_the_sdk_formula() {
        let signed = "a=1&b=2";
        let key_hex = hex::encode(Sha256::digest(b"88888888"));
        let expected = hex::encode(Sha256::digest(format!("{signed}&{key_hex}").as_bytes()));
        assert_eq!(
            secure_key_signature(Sealing::SecureKeySha256, Charset::Utf8, signed, "88888888"),
            expected
        );
    }
}
