//! Signing and verifying, as §7 of the protocol describes and UnionPay's SDKs do it. Every
//! method signs the same string (see [`Fields::string_to_sign`]) in the message's charset:
//!
//! | signMethod | version | signature |
//! |---|---|---|
//! | `01` | 5.0.0 | base64 SHA1withRSA over the ASCII of lowerhex(SHA-1(S)); `certId` names the key |
//! | `01` | 5.1.0 | base64 SHA256withRSA over the ASCII of lowerhex(SHA-256(S)); the bank adds `signPubKeyCert` |
//! | `11` | 5.1.0 | lowerhex(SHA-256(S + "&" + lowerhex(SHA-256(secure key)))) |
//! | `12` | 5.1.0 | the same with SM3 |
//! | `21` | both | base64 of r‖s, SM3withSM2 over the ASCII of lowerhex(SM3(S)), user ID = `certId` |
//!
//! The RSA and SM2 methods hash twice on purpose: the SDKs sign the hex text of a digest.

mod digest;
mod rsa_signer;
mod secure_key;
mod sm2_signer;
mod verifier;

pub use rsa_signer::RsaCertificateSigner;
pub use secure_key::{SecureKeyDigest, SecureKeySigner};
pub use sm2_signer::Sm2CertificateSigner;
pub use verifier::{BankVerifier, VerifiedBy, VerifyError};

use crate::charset::{Charset, CharsetError};
use crate::crypto::CertificateError;
use crate::fields::{Fields, SIGNATURE};

pub const SIGN_METHOD: &str = "signMethod";
pub const CERT_ID: &str = "certId";
pub const SIGN_PUB_KEY_CERT: &str = "signPubKeyCert";
pub const VERSION: &str = "version";
pub const ENCODING: &str = "encoding";

/// The `signMethod` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignMethod {
    /// `01`: RSA with the merchant's certificate.
    RsaCertificate,
    /// `11`: SHA-256 with a shared secure key.
    SecureKeySha256,
    /// `12`: SM3 with a shared secure key.
    SecureKeySm3,
    /// `21`: SM2 with the merchant's SM2 certificate.
    Sm2Certificate,
}

impl SignMethod {
    pub fn code(self) -> &'static str {
        match self {
            SignMethod::RsaCertificate => "01",
            SignMethod::SecureKeySha256 => "11",
            SignMethod::SecureKeySm3 => "12",
            SignMethod::Sm2Certificate => "21",
        }
    }

    pub fn parse(code: &str) -> Option<SignMethod> {
        match code {
            "01" => Some(SignMethod::RsaCertificate),
            "11" => Some(SignMethod::SecureKeySha256),
            "12" => Some(SignMethod::SecureKeySm3),
            "21" => Some(SignMethod::Sm2Certificate),
            _ => None,
        }
    }
}

/// The `version` field: it chooses SHA-1 or SHA-256 for RSA, and how the bank's certificate
/// is found (by `certId`, or carried in `signPubKeyCert`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    V5_0_0,
    V5_1_0,
}

impl Version {
    pub fn code(self) -> &'static str {
        match self {
            Version::V5_0_0 => "5.0.0",
            Version::V5_1_0 => "5.1.0",
        }
    }

    pub fn parse(code: &str) -> Option<Version> {
        match code {
            "5.0.0" => Some(Version::V5_0_0),
            "5.1.0" => Some(Version::V5_1_0),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("field {0} is required to sign")]
    MissingField(&'static str),
    #[error("version {0:?} is not 5.0.0 or 5.1.0")]
    UnknownVersion(String),
    #[error(transparent)]
    Charset(#[from] CharsetError),
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    #[error("key cannot be used: {0}")]
    Key(String),
}

/// Whatever signs the merchant's messages: a certificate key (RSA, SM2) or a secure key.
pub trait MessageSigner: Send + Sync {
    fn sign_method(&self) -> SignMethod;

    /// The decimal serial of the signing certificate, sent as `certId`; none for secure keys.
    fn cert_id(&self) -> Option<&str>;

    /// The `signature` value for `signed`, the string to sign in the message's charset.
    fn signature(
        &self,
        version: Version,
        charset: Charset,
        signed: &[u8],
    ) -> Result<String, SignError>;
}

/// Signs `fields` in place: sets `signMethod` and `certId` (or removes a stale `certId`),
/// then adds `signature`. `version` must already be set, and `encoding` should be: both are
/// signed too, and they choose the digest and the bytes.
pub fn sign(fields: &mut Fields, signer: &dyn MessageSigner) -> Result<(), SignError> {
    let version = message_version(fields)?;
    let charset = message_charset(fields)?;
    fields.set(SIGN_METHOD, signer.sign_method().code());
    match signer.cert_id() {
        Some(cert_id) => fields.set(CERT_ID, cert_id),
        None => {
            fields.remove(CERT_ID);
        }
    }
    fields.remove(SIGNATURE);
    let signed = charset.encode(&fields.string_to_sign())?;
    let signature = signer.signature(version, charset, &signed)?;
    fields.set(SIGNATURE, signature);
    Ok(())
}

/// The charset the message's `encoding` names; UTF-8 when it names none, as the SDKs default.
pub(crate) fn message_charset(fields: &Fields) -> Result<Charset, CharsetError> {
    fields
        .get(ENCODING)
        .map_or(Ok(Charset::Utf8), Charset::parse)
}

fn message_version(fields: &Fields) -> Result<Version, SignError> {
    let text = fields
        .get(VERSION)
        .ok_or(SignError::MissingField(VERSION))?;
    Version::parse(text).ok_or_else(|| SignError::UnknownVersion(text.to_string()))
}

#[cfg(test)]
mod tests;
