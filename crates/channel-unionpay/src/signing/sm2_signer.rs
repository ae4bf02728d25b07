//! signMethod `21` (the SDK's 国密 package): SM3withSM2 with the merchant's SM2 certificate
//! key. The SM2 user ID is the signer's `certId` (not GM/T's default `1234567812345678`),
//! and the signature is the plain 64 bytes r‖s, not DER.

use super::digest::{HashAlgorithm, lower_hex};
use super::{MessageSigner, SignError, SignMethod, Version};
use crate::charset::Charset;
use crate::crypto::{Certificate, PublicKey};
use base64::Engine;
use sm2::dsa::signature::Signer;

#[derive(Clone)]
pub struct Sm2CertificateSigner {
    cert_id: String,
    key: sm2::dsa::SigningKey,
}

impl std::fmt::Debug for Sm2CertificateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "Sm2CertificateSigner(certId {})", self.cert_id)
    }
}

impl Sm2CertificateSigner {
    /// The secret key and the certificate it belongs to; refused when they do not match.
    pub fn new(
        secret: &sm2::SecretKey,
        certificate: &Certificate,
    ) -> Result<Sm2CertificateSigner, SignError> {
        match certificate.public_key() {
            PublicKey::Sm2(public) if *public == secret.public_key() => {}
            _ => {
                return Err(SignError::Key(
                    "the certificate is not the key's".to_string(),
                ));
            }
        }
        Sm2CertificateSigner::with_cert_id(secret, certificate.cert_id())
    }

    /// The secret key, named by `cert_id` (the decimal serial of its certificate).
    pub fn with_cert_id(
        secret: &sm2::SecretKey,
        cert_id: &str,
    ) -> Result<Sm2CertificateSigner, SignError> {
        let key = sm2::dsa::SigningKey::new(cert_id, secret)
            .map_err(|e| SignError::Key(format!("SM2 key: {e}")))?;
        Ok(Sm2CertificateSigner {
            cert_id: cert_id.to_string(),
            key,
        })
    }
}

impl MessageSigner for Sm2CertificateSigner {
    fn sign_method(&self) -> SignMethod {
        SignMethod::Sm2Certificate
    }

    fn cert_id(&self) -> Option<&str> {
        Some(&self.cert_id)
    }

    fn signature(
        &self,
        _version: Version,
        _charset: Charset,
        signed: &[u8],
    ) -> Result<String, SignError> {
        let hex = lower_hex(HashAlgorithm::Sm3, signed);
        let signature: sm2::dsa::Signature = self
            .key
            .try_sign(hex.as_bytes())
            .map_err(|e| SignError::Key(format!("SM2 signing: {e}")))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(signature.to_bytes()))
    }
}
