//! An X.509 certificate: what identifying and verifying need, read once.

use super::{CertificateError, MAX_CERTIFICATE_BYTES, UnixSeconds, der_parts, serial};
use base64::Engine;
use der::{Decode, Encode};
use rsa::pkcs8::DecodePublicKey;
use std::ops::Range;

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

/// The key a certificate certifies.
#[derive(Clone, Debug)]
pub enum PublicKey {
    Rsa(rsa::PublicKey),
    Sm2(sm2::PublicKey),
}

#[derive(Clone)]
pub struct Certificate {
    /// The bytes as loaded, never re-encoded.
    der: Vec<u8>,
    serial_decimal: String,
    common_name: String,
    subject_der: Vec<u8>,
    issuer_der: Vec<u8>,
    not_before: UnixSeconds,
    not_after: UnixSeconds,
    public_key: PublicKey,
    signed_part: Range<usize>,
    signature_algorithm: String,
    signature: Vec<u8>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("serial", &self.serial_decimal)
            .field("common_name", &self.common_name)
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Certificate) -> bool {
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl Certificate {
    /// Loads DER or PEM (`BEGIN CERTIFICATE`, any line ends), whichever the bytes are.
    pub fn from_der_or_pem(bytes: &[u8]) -> Result<Certificate, CertificateError> {
        if bytes.len() > MAX_CERTIFICATE_BYTES {
            return Err(CertificateError::Unreadable("too large".to_string()));
        }
        // DER starts with a SEQUENCE tag; anything else is tried as PEM text.
        if bytes.first() == Some(&0x30) {
            return Certificate::from_der(bytes);
        }
        let text = std::str::from_utf8(bytes)
            .map_err(|_| CertificateError::Unreadable("neither DER nor PEM text".to_string()))?;
        Certificate::from_pem(text)
    }

    /// Loads the first `BEGIN CERTIFICATE` block of `text`, as `signPubKeyCert` carries it.
    pub fn from_pem(text: &str) -> Result<Certificate, CertificateError> {
        // Base64 and line breaks take up to twice the DER's size.
        if text.len() > 2 * MAX_CERTIFICATE_BYTES {
            return Err(CertificateError::Unreadable("too large".to_string()));
        }
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let start = text
            .find(BEGIN)
            .ok_or_else(|| CertificateError::Unreadable(format!("no {BEGIN} line")))?
            + BEGIN.len();
        let rest = text.get(start..).unwrap_or_default();
        let stop = rest
            .find(END)
            .ok_or_else(|| CertificateError::Unreadable(format!("no {END} line")))?;
        let body: String = rest
            .get(..stop)
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| CertificateError::unreadable("PEM base64", e))?;
        Certificate::from_der(&der)
    }

    pub fn from_der(der: &[u8]) -> Result<Certificate, CertificateError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| CertificateError::unreadable("X.509", e))?;
        let tbs = cert.tbs_certificate();
        let signed_part = der_parts::first_inner_element(der)
            .ok_or_else(|| CertificateError::Unreadable("no tbsCertificate".to_string()))?;
        let common_name = tbs
            .subject()
            .common_name()
            .map_err(|e| CertificateError::unreadable("subject CN", e))?
            .map(|cn| cn.value().into_owned())
            .unwrap_or_default();
        let encode = |name: &x509_cert::name::Name| {
            name.to_der()
                .map_err(|e| CertificateError::unreadable("name", e))
        };
        Ok(Certificate {
            der: der.to_vec(),
            serial_decimal: serial::decimal(tbs.serial_number().as_bytes()),
            common_name,
            subject_der: encode(tbs.subject())?,
            issuer_der: encode(tbs.issuer())?,
            not_before: tbs.validity().not_before.to_unix_duration().as_secs(),
            not_after: tbs.validity().not_after.to_unix_duration().as_secs(),
            public_key: public_key(tbs.subject_public_key_info())?,
            signed_part,
            signature_algorithm: cert.signature_algorithm().oid.to_string(),
            signature: cert.signature().raw_bytes().to_vec(),
        })
    }

    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    /// Lowercase hex SHA-256 of the DER SubjectPublicKeyInfo: names the key without the
    /// certificate around it (a renewed certificate for the same key has the same).
    pub fn public_key_sha256(&self) -> Option<String> {
        let cert = x509_cert::Certificate::from_der(&self.der).ok()?;
        let spki = cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .ok()?;
        Some(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(spki)))
    }

    /// The serial in decimal: the `certId` UnionPay's messages name certificates by.
    pub fn cert_id(&self) -> &str {
        &self.serial_decimal
    }

    /// The subject's CN, e.g. `041@8310000000083040@中国银联股份有限公司@00016495`.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    pub fn valid_from(&self) -> UnixSeconds {
        self.not_before
    }

    pub fn valid_until(&self) -> UnixSeconds {
        self.not_after
    }

    pub fn check_validity(&self, now: UnixSeconds) -> Result<(), CertificateError> {
        if now < self.not_before || now > self.not_after {
            return Err(CertificateError::OutsideValidity {
                not_before: self.not_before,
                not_after: self.not_after,
                now,
            });
        }
        Ok(())
    }

    pub(crate) fn subject_der(&self) -> &[u8] {
        &self.subject_der
    }

    pub(crate) fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// The bytes the issuer signed.
    pub(crate) fn signed_bytes(&self) -> &[u8] {
        self.der.get(self.signed_part.clone()).unwrap_or_default()
    }

    pub(crate) fn signature_algorithm(&self) -> &str {
        &self.signature_algorithm
    }

    pub(crate) fn issuer_signature(&self) -> &[u8] {
        &self.signature
    }
}

fn public_key(spki: &spki::SubjectPublicKeyInfoOwned) -> Result<PublicKey, CertificateError> {
    let der = spki
        .to_der()
        .map_err(|e| CertificateError::unreadable("public key", e))?;
    match spki.algorithm.oid.to_string().as_str() {
        RSA_ENCRYPTION => rsa::PublicKey::from_public_key_der(&der)
            .map(PublicKey::Rsa)
            .map_err(|e| CertificateError::unreadable("RSA public key", e)),
        // An EC key is SM2's only when its curve is: the decoder checks the curve OID.
        EC_PUBLIC_KEY => sm2::PublicKey::from_public_key_der(&der)
            .map(PublicKey::Sm2)
            .map_err(|_| CertificateError::UnsupportedKey),
        _ => Err(CertificateError::UnsupportedKey),
    }
}
