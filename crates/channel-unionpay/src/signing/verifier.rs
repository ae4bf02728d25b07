//! Whether a message (answer or notification) really comes from UnionPay, as the SDKs'
//! `AcpService.validate` decides, for each signMethod and version.

use super::digest::{HashAlgorithm, lower_hex};
use super::{
    CERT_ID, SIGN_METHOD, SIGN_PUB_KEY_CERT, SecureKeySigner, SignMethod, VERSION, Version,
};
use crate::charset::CharsetError;
use crate::crypto::{Certificate, CertificateError, ChainOfTrust, PublicKey, UnixSeconds};
use crate::fields::{Fields, SIGNATURE};
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("field {0} is missing")]
    MissingField(&'static str),
    #[error("signMethod {0:?} is not one we take")]
    UnknownSignMethod(String),
    #[error("version {0:?} is not 5.0.0 or 5.1.0")]
    UnknownVersion(String),
    #[error(transparent)]
    Charset(#[from] CharsetError),
    #[error("no verification certificate with certId {0}")]
    UnknownCertId(String),
    #[error("the message is signed with {0:?}, which is not configured")]
    NotConfigured(SignMethod),
    #[error("the bank's certificate is not believed: {0}")]
    Certificate(#[from] CertificateError),
    #[error("the certificate's key does not fit signMethod {0:?}")]
    KeyMismatch(SignMethod),
    #[error("signature does not verify")]
    BadSignature,
}

/// What a verified message was verified with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifiedBy {
    /// The bank's certificate with this serial.
    Certificate {
        cert_id: String,
    },
    SecureKey,
}

/// What the bank's messages are checked against. Configure what the merchant's account
/// uses; a message signed some other way is refused.
#[derive(Debug, Clone, Default)]
pub struct BankVerifier {
    /// 5.0.0: the bank's verification certificates (RSA or SM2), by `certId`.
    certificates_by_id: HashMap<String, Certificate>,
    /// 5.1.0, signMethod 01: where `signPubKeyCert` must chain to.
    rsa_chain: Option<ChainOfTrust>,
    /// 5.1.0, signMethod 21.
    sm2_chain: Option<ChainOfTrust>,
    /// signMethod 11 or 12.
    secure_key: Option<SecureKeySigner>,
}

impl BankVerifier {
    pub fn new() -> BankVerifier {
        BankVerifier::default()
    }

    /// A certificate messages name by `certId` (the SDKs' `validateCert.dir`, for 5.0.0).
    /// Configured certificates are trusted as they are: their dates are not checked, as the
    /// SDKs do not check them either.
    pub fn with_certificate(mut self, certificate: Certificate) -> BankVerifier {
        self.certificates_by_id
            .insert(certificate.cert_id().to_string(), certificate);
        self
    }

    pub fn with_rsa_chain(mut self, chain: ChainOfTrust) -> BankVerifier {
        self.rsa_chain = Some(chain);
        self
    }

    pub fn with_sm2_chain(mut self, chain: ChainOfTrust) -> BankVerifier {
        self.sm2_chain = Some(chain);
        self
    }

    pub fn with_secure_key(mut self, secure_key: SecureKeySigner) -> BankVerifier {
        self.secure_key = Some(secure_key);
        self
    }

    /// Verifies `fields` as received (the `signature` field included). `now` judges the
    /// validity of a certificate carried in the message.
    pub fn verify(&self, fields: &Fields, now: UnixSeconds) -> Result<VerifiedBy, VerifyError> {
        self.verify_signature(fields, required(fields, SIGNATURE)?, now)
    }

    /// As [`BankVerifier::verify`], with the signature given apart from the fields.
    pub fn verify_signature(
        &self,
        fields: &Fields,
        signature: &str,
        now: UnixSeconds,
    ) -> Result<VerifiedBy, VerifyError> {
        let method_code = required(fields, SIGN_METHOD)?;
        let method = SignMethod::parse(method_code)
            .ok_or_else(|| VerifyError::UnknownSignMethod(method_code.to_string()))?;
        let version_code = required(fields, VERSION)?;
        let version = Version::parse(version_code)
            .ok_or_else(|| VerifyError::UnknownVersion(version_code.to_string()))?;
        let charset = super::message_charset(fields)?;
        let signed = charset.encode(&fields.string_to_sign())?;
        match method {
            SignMethod::SecureKeySha256 | SignMethod::SecureKeySm3 => {
                let key = self
                    .secure_key
                    .as_ref()
                    .filter(|key| key.sign_method_matches(method))
                    .ok_or(VerifyError::NotConfigured(method))?;
                if key.matches(charset, &signed, signature) {
                    Ok(VerifiedBy::SecureKey)
                } else {
                    Err(VerifyError::BadSignature)
                }
            }
            SignMethod::RsaCertificate | SignMethod::Sm2Certificate => {
                let certificate = self.signing_certificate(fields, method, version, now)?;
                let signature = decode_base64(signature)?;
                verify_with_certificate(&certificate, method, version, &signed, &signature)?;
                Ok(VerifiedBy::Certificate {
                    cert_id: certificate.cert_id().to_string(),
                })
            }
        }
    }

    /// 5.0.0: the configured certificate `certId` names. 5.1.0: the one the message carries,
    /// once it is known to chain to the configured root; a 5.1.0 message without one (a
    /// merchant's request, as a simulated bank reads it) may name a configured certificate.
    fn signing_certificate(
        &self,
        fields: &Fields,
        method: SignMethod,
        version: Version,
        now: UnixSeconds,
    ) -> Result<Certificate, VerifyError> {
        match version {
            Version::V5_0_0 => {
                let cert_id = required(fields, CERT_ID)?;
                self.certificates_by_id
                    .get(cert_id)
                    .cloned()
                    .ok_or_else(|| VerifyError::UnknownCertId(cert_id.to_string()))
            }
            Version::V5_1_0 if !fields.contains(SIGN_PUB_KEY_CERT) => {
                let cert_id = fields
                    .get(CERT_ID)
                    .ok_or(VerifyError::MissingField(SIGN_PUB_KEY_CERT))?;
                self.certificates_by_id
                    .get(cert_id)
                    .cloned()
                    .ok_or_else(|| VerifyError::UnknownCertId(cert_id.to_string()))
            }
            Version::V5_1_0 => {
                let chain = match method {
                    SignMethod::Sm2Certificate => self.sm2_chain.as_ref(),
                    _ => self.rsa_chain.as_ref(),
                }
                .ok_or(VerifyError::NotConfigured(method))?;
                // Read as it stands: the CR LF inside is part of what was signed, and only
                // the certificate's own base64 is decoded here.
                let certificate = Certificate::from_pem(required(fields, SIGN_PUB_KEY_CERT)?)?;
                chain.check(&certificate, now)?;
                Ok(certificate)
            }
        }
    }
}

impl SecureKeySigner {
    fn sign_method_matches(&self, method: SignMethod) -> bool {
        super::MessageSigner::sign_method(self) == method
    }
}

fn required<'f>(fields: &'f Fields, key: &'static str) -> Result<&'f str, VerifyError> {
    fields.get(key).ok_or(VerifyError::MissingField(key))
}

/// The signature field is standard base64; line breaks some encoders insert are not part of
/// it (the signature is not itself signed, so dropping them changes nothing that is).
fn decode_base64(text: &str) -> Result<Vec<u8>, VerifyError> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| VerifyError::BadSignature)
}

fn verify_with_certificate(
    certificate: &Certificate,
    method: SignMethod,
    version: Version,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let verified = match (method, certificate.public_key()) {
        (SignMethod::RsaCertificate, PublicKey::Rsa(key)) => {
            let signature =
                Signature::try_from(signature).map_err(|_| VerifyError::BadSignature)?;
            match version {
                Version::V5_0_0 => VerifyingKey::<sha1::Sha1>::new(key.clone()).verify(
                    lower_hex(HashAlgorithm::Sha1, signed).as_bytes(),
                    &signature,
                ),
                Version::V5_1_0 => VerifyingKey::<sha2::Sha256>::new(key.clone()).verify(
                    lower_hex(HashAlgorithm::Sha256, signed).as_bytes(),
                    &signature,
                ),
            }
            .is_ok()
        }
        (SignMethod::Sm2Certificate, PublicKey::Sm2(key)) => {
            // The signer's user ID is its certId: the certificate's serial, in decimal.
            let verifier = sm2::dsa::VerifyingKey::new(certificate.cert_id(), *key)
                .map_err(|_| VerifyError::KeyMismatch(method))?;
            let signature = sm2::dsa::Signature::from_slice(signature)
                .map_err(|_| VerifyError::BadSignature)?;
            sm2::dsa::signature::Verifier::verify(
                &verifier,
                lower_hex(HashAlgorithm::Sm3, signed).as_bytes(),
                &signature,
            )
            .is_ok()
        }
        _ => return Err(VerifyError::KeyMismatch(method)),
    };
    if verified {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}
