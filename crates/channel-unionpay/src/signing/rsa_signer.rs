//! signMethod `01`: the merchant's RSA key, named by its certificate's serial (`certId`).

use super::digest::{HashAlgorithm, lower_hex};
use super::{MessageSigner, SignError, SignMethod, Version};
use crate::charset::Charset;
use crate::crypto::{Certificate, PublicKey};
use base64::Engine;
use p12_keystore::Pkcs12Archive;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};

#[derive(Clone)]
pub struct RsaCertificateSigner {
    cert_id: String,
    // Built once: building a signer computes the DigestInfo prefix.
    sha1: SigningKey<sha1::Sha1>,
    sha256: SigningKey<sha2::Sha256>,
}

impl std::fmt::Debug for RsaCertificateSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "RsaCertificateSigner(certId {})", self.cert_id)
    }
}

impl RsaCertificateSigner {
    /// The key and the certificate it belongs to; refused when they do not match.
    pub fn new(
        key: rsa::PrivateKey,
        certificate: &Certificate,
    ) -> Result<RsaCertificateSigner, SignError> {
        match certificate.public_key() {
            PublicKey::Rsa(public) if *public == key.to_public_key() => {}
            _ => {
                return Err(SignError::Key(
                    "the certificate is not the key's".to_string(),
                ));
            }
        }
        Ok(RsaCertificateSigner {
            cert_id: certificate.cert_id().to_string(),
            sha1: SigningKey::new(key.clone()),
            sha256: SigningKey::new(key),
        })
    }

    /// An unencrypted PKCS#8 key (DER) and its certificate.
    pub fn from_pkcs8_der(
        key_der: &[u8],
        certificate: &Certificate,
    ) -> Result<RsaCertificateSigner, SignError> {
        let key = rsa::PrivateKey::from_pkcs8_der(key_der)
            .map_err(|e| SignError::Key(format!("PKCS#8: {e}")))?;
        RsaCertificateSigner::new(key, certificate)
    }

    /// The `.pfx` UnionPay issues (`acp_*_sign.pfx`): the key and the certificate whose key
    /// it is, whatever other certificates the file holds.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<RsaCertificateSigner, SignError> {
        let (key, certificate) = RsaCertificateSigner::read_pkcs12(der, password)?;
        RsaCertificateSigner::from_pkcs8_der(&key, &certificate)
    }

    /// The key (unencrypted PKCS#8 DER) and its certificate from a `.pfx`: what is kept of it,
    /// sealed, once the password has opened it.
    pub fn read_pkcs12(der: &[u8], password: &str) -> Result<(Vec<u8>, Certificate), SignError> {
        let archive = Pkcs12Archive::from_pkcs12(der, password)
            .map_err(|e| SignError::Key(format!("PKCS#12 (wrong password or damaged): {e}")))?;
        let bag = archive
            .keys
            .first()
            .ok_or_else(|| SignError::Key("PKCS#12 holds no private key".to_string()))?;
        let key = rsa::PrivateKey::from_pkcs8_der(bag.key.as_der())
            .map_err(|e| SignError::Key(format!("PKCS#12 key: {e}")))?;
        let public = key.to_public_key();
        let certificate = archive
            .certs
            .iter()
            .filter_map(|bag| Certificate::from_der(bag.cert.as_der()).ok())
            .find(|cert| matches!(cert.public_key(), PublicKey::Rsa(p) if *p == public))
            .ok_or_else(|| {
                SignError::Key("PKCS#12 holds no certificate for its key".to_string())
            })?;
        // The key as read, so that what is kept is checked to be a usable RSA key.
        let key_der = rsa::pkcs8::EncodePrivateKey::to_pkcs8_der(&key)
            .map_err(|e| SignError::Key(format!("PKCS#8: {e}")))?;
        Ok((key_der.as_bytes().to_vec(), certificate))
    }
}

impl MessageSigner for RsaCertificateSigner {
    fn sign_method(&self) -> SignMethod {
        SignMethod::RsaCertificate
    }

    fn cert_id(&self) -> Option<&str> {
        Some(&self.cert_id)
    }

    fn signature(
        &self,
        version: Version,
        _charset: Charset,
        signed: &[u8],
    ) -> Result<String, SignError> {
        let signature = match version {
            Version::V5_0_0 => {
                let hex = lower_hex(HashAlgorithm::Sha1, signed);
                self.sha1.try_sign(hex.as_bytes()).map(|s| s.to_vec())
            }
            Version::V5_1_0 => {
                let hex = lower_hex(HashAlgorithm::Sha256, signed);
                self.sha256.try_sign(hex.as_bytes()).map(|s| s.to_vec())
            }
        }
        .map_err(|e| SignError::Key(format!("RSA signing: {e}")))?;
        Ok(base64::engine::general_purpose::STANDARD.encode(signature))
    }
}
