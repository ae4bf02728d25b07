//! The merchants the gateway knows: each merId with the certificates its requests may be
//! signed with (found by `certId`: RSA for signMethod 01, SM2 for 21) and, for signMethod
//! 11/12, its secure key.

use super::certificate::{CertificateError, CertifiedKey, SimCertificate};
use std::collections::HashMap;

/// Merchants the registry holds at most.
pub const MAX_MERCHANTS: usize = 10_000;
/// A merchant renewing its certificate keeps the old one for a while; a few are enough.
const MAX_CERTIFICATES_PER_MERCHANT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("merId must be 15 digits")]
    BadMerId,
    #[error("give certificate_pem or secure_key")]
    NothingToRegister,
    #[error("the secure key must be 1 to 64 printable ASCII characters")]
    BadSecureKey,
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    #[error("the registry is full")]
    Full,
}

/// What a merchant's requests are checked with.
#[derive(Debug, Clone, Default)]
pub struct MerchantKeys {
    certificates: Vec<(SimCertificate, CertifiedKey)>,
    secure_key: Option<String>,
}

impl MerchantKeys {
    fn key(&self, cert_id: &str) -> Option<&CertifiedKey> {
        self.certificates
            .iter()
            .find(|(certificate, _)| certificate.cert_id() == cert_id)
            .map(|(_, key)| key)
    }

    pub fn rsa_key(&self, cert_id: &str) -> Option<&rsa::PublicKey> {
        match self.key(cert_id)? {
            CertifiedKey::Rsa(key) => Some(key),
            CertifiedKey::Sm2(_) => None,
        }
    }

    pub fn sm2_key(&self, cert_id: &str) -> Option<&sm2::PublicKey> {
        match self.key(cert_id)? {
            CertifiedKey::Sm2(key) => Some(key),
            CertifiedKey::Rsa(_) => None,
        }
    }

    pub fn secure_key(&self) -> Option<&str> {
        self.secure_key.as_deref()
    }

    pub fn cert_ids(&self) -> Vec<String> {
        self.certificates
            .iter()
            .map(|(c, _)| c.cert_id().to_string())
            .collect()
    }

    /// PEM of each certificate, for the state file.
    pub fn certificate_pems(&self) -> Vec<String> {
        self.certificates.iter().map(|(c, _)| c.pem()).collect()
    }
}

pub fn is_mer_id(text: &str) -> bool {
    text.len() == 15 && text.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Default)]
pub struct MerchantRegistry {
    merchants: HashMap<String, MerchantKeys>,
}

impl MerchantRegistry {
    pub fn iter(&self) -> impl Iterator<Item = (&str, &MerchantKeys)> {
        self.merchants.iter().map(|(id, keys)| (id.as_str(), keys))
    }

    pub fn get(&self, mer_id: &str) -> Option<&MerchantKeys> {
        self.merchants.get(mer_id)
    }

    /// Adds a certificate and/or sets the secure key of `mer_id`; earlier certificates stay
    /// registered, so that requests signed before a renewal still verify.
    pub fn register(
        &mut self,
        mer_id: &str,
        certificate_pem: Option<&str>,
        secure_key: Option<&str>,
    ) -> Result<&MerchantKeys, RegistrationError> {
        if !is_mer_id(mer_id) {
            return Err(RegistrationError::BadMerId);
        }
        if certificate_pem.is_none() && secure_key.is_none() {
            return Err(RegistrationError::NothingToRegister);
        }
        if let Some(key) = secure_key {
            let printable = key.bytes().all(|b| b.is_ascii_graphic());
            if key.is_empty() || key.len() > 64 || !printable {
                return Err(RegistrationError::BadSecureKey);
            }
        }
        let certificate = match certificate_pem {
            Some(pem) => {
                let certificate = SimCertificate::from_pem_or_der(pem.as_bytes())?;
                let key = certificate.public_key()?;
                Some((certificate, key))
            }
            None => None,
        };
        if !self.merchants.contains_key(mer_id) && self.merchants.len() >= MAX_MERCHANTS {
            return Err(RegistrationError::Full);
        }
        let keys = self.merchants.entry(mer_id.to_string()).or_default();
        if let Some((certificate, key)) = certificate {
            keys.certificates
                .retain(|(known, _)| known.cert_id() != certificate.cert_id());
            if keys.certificates.len() >= MAX_CERTIFICATES_PER_MERCHANT {
                keys.certificates.remove(0);
            }
            keys.certificates.push((certificate, key));
        }
        if let Some(key) = secure_key {
            keys.secure_key = Some(key.to_string());
        }
        Ok(keys)
    }
}
