//! The simulated UnionPay's certificates: a root that issues a middle certificate that issues
//! the signing leaf, as UnionPay's own CFCA chain does, so that a merchant configured with the
//! root and middle checks the leaf carried in `signPubKeyCert` exactly as the SDKs do.

use der::asn1::OctetString;
use der::oid::AssociatedOid;
use der::{Decode, Encode, EncodePem};
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::pkcs1v15::SigningKey;
use sha2::Sha256;
use std::str::FromStr;
use std::time::Duration;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::{Time, Validity};

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("certificate cannot be read: {0}")]
    Unreadable(String),
    #[error("certificate cannot be made: {0}")]
    Build(String),
    #[error("the certificate's key is not RSA")]
    NotRsa,
    #[error("the certificate's key is neither RSA nor SM2")]
    UnsupportedKey,
}

pub(super) fn build_error(context: &str, err: impl std::fmt::Display) -> CertificateError {
    CertificateError::Build(format!("{context}: {err}"))
}

/// A parsed X.509 certificate with what the gateway needs of it.
#[derive(Debug, Clone)]
pub struct SimCertificate {
    der: Vec<u8>,
    /// The decimal serial number: what UnionPay's messages call `certId`.
    cert_id: String,
    subject: String,
}

impl SimCertificate {
    pub fn from_der(der: &[u8]) -> Result<SimCertificate, CertificateError> {
        let parsed = x509_cert::Certificate::from_der(der)
            .map_err(|e| CertificateError::Unreadable(e.to_string()))?;
        let tbs = parsed.tbs_certificate();
        Ok(SimCertificate {
            der: der.to_vec(),
            cert_id: decimal(tbs.serial_number().as_bytes()),
            subject: tbs.subject().to_string(),
        })
    }

    /// PEM (one or more blocks: the first is taken) or DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<SimCertificate, CertificateError> {
        let text = String::from_utf8_lossy(bytes);
        if let Some(start) = text.find("-----BEGIN CERTIFICATE-----") {
            let block = &text[start..];
            let end_marker = "-----END CERTIFICATE-----";
            let end = block
                .find(end_marker)
                .ok_or_else(|| CertificateError::Unreadable("unterminated PEM".to_string()))?;
            let (_, der) = der::pem::decode_vec(&block.as_bytes()[..end + end_marker.len()])
                .map_err(|e| CertificateError::Unreadable(e.to_string()))?;
            return SimCertificate::from_der(&der);
        }
        SimCertificate::from_der(bytes)
    }

    pub fn der(&self) -> &[u8] {
        &self.der
    }

    pub fn cert_id(&self) -> &str {
        &self.cert_id
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// PEM with LF line ends; [`Self::pem_crlf`] is the form messages carry.
    pub fn pem(&self) -> String {
        let parsed = x509_cert::Certificate::from_der(&self.der);
        parsed
            .ok()
            .and_then(|c| c.to_pem(LineEnding::LF).ok())
            .unwrap_or_default()
    }

    /// UnionPay's `signPubKeyCert` breaks its PEM lines with CR LF and signs it so.
    pub fn pem_crlf(&self) -> String {
        self.pem().trim_end().replace('\n', "\r\n")
    }

    pub fn rsa_public_key(&self) -> Result<rsa::PublicKey, CertificateError> {
        let parsed = x509_cert::Certificate::from_der(&self.der)
            .map_err(|e| CertificateError::Unreadable(e.to_string()))?;
        let spki = parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| CertificateError::Unreadable(e.to_string()))?;
        <rsa::PublicKey as pkcs8::DecodePublicKey>::from_public_key_der(&spki)
            .map_err(|_| CertificateError::NotRsa)
    }

    /// The certified key: RSA, or SM2 (an EC key on SM2's curve).
    pub fn public_key(&self) -> Result<CertifiedKey, CertificateError> {
        if let Ok(key) = self.rsa_public_key() {
            return Ok(CertifiedKey::Rsa(key));
        }
        let parsed = x509_cert::Certificate::from_der(&self.der)
            .map_err(|e| CertificateError::Unreadable(e.to_string()))?;
        let spki = parsed
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| CertificateError::Unreadable(e.to_string()))?;
        <sm2::PublicKey as pkcs8::DecodePublicKey>::from_public_key_der(&spki)
            .map(CertifiedKey::Sm2)
            .map_err(|_| CertificateError::UnsupportedKey)
    }
}

/// The key a merchant's certificate certifies, and so how its requests are signed.
#[derive(Debug, Clone)]
pub enum CertifiedKey {
    /// signMethod 01.
    Rsa(rsa::PublicKey),
    /// signMethod 21.
    Sm2(sm2::PublicKey),
}

/// Big-endian unsigned bytes as a decimal string, by long division (serials may be 20 bytes).
fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new();
    let mut number: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    while !number.is_empty() {
        let mut remainder = 0u32;
        let mut quotient = Vec::with_capacity(number.len());
        for byte in &number {
            let current = remainder * 256 + u32::from(*byte);
            let digit = current / 10;
            remainder = current % 10;
            if !(quotient.is_empty() && digit == 0) {
                quotient.push(digit as u8);
            }
        }
        digits.push(b'0' + remainder as u8);
        number = quotient;
    }
    if digits.is_empty() {
        return "0".to_string();
    }
    digits.iter().rev().map(|d| char::from(*d)).collect()
}

/// Issuer and subject names, and whether the certificate may issue others.
pub(super) struct Profile {
    issuer: Option<Name>,
    subject: Name,
    authority: bool,
}

impl Profile {
    /// The profile of a certificate for `common_name` issued by `issuer` (self-issued without).
    pub(super) fn new(
        common_name: &str,
        authority: bool,
        issuer: Option<&SimCertificate>,
    ) -> Result<Profile, CertificateError> {
        let subject = Name::from_str(&format!("CN={common_name},O=UnionPay simulator,C=CN"))
            .map_err(|e| build_error("subject", e))?;
        let issuer = match issuer {
            Some(issuer) => Some(
                x509_cert::Certificate::from_der(issuer.der())
                    .map_err(|e| build_error("issuer", e))?
                    .tbs_certificate()
                    .subject()
                    .clone(),
            ),
            None => None,
        };
        Ok(Profile {
            issuer,
            subject,
            authority,
        })
    }
}

/// A new serial: UnionPay's are 11 decimal digits, and a positive 5-byte number looks the same.
pub(super) fn new_serial() -> Result<SerialNumber, CertificateError> {
    let mut serial = [0u8; 5];
    rand::fill(&mut serial);
    serial[0] = (serial[0] & 0x7f) | 0x01;
    SerialNumber::new(&serial).map_err(|e| build_error("serial", e))
}

/// Valid from now for `days`.
pub fn valid_for_days(days: u64) -> Result<Validity, CertificateError> {
    Validity::from_now(Duration::from_secs(days * 86_400)).map_err(|e| build_error("validity", e))
}

/// Valid for a year that ended yesterday: a certificate out of date.
pub fn ended_yesterday() -> Result<Validity, CertificateError> {
    let now = std::time::SystemTime::now();
    let at = |days_ago: u64| {
        Time::try_from(now - Duration::from_secs(days_ago * 86_400))
            .map_err(|e| build_error("validity", e))
    };
    Ok(Validity::new(at(366)?, at(1)?))
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, subject: &Name) -> Name {
        self.issuer.clone().unwrap_or_else(|| subject.clone())
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        _spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let constraints = BasicConstraints {
            ca: self.authority,
            path_len_constraint: None,
        };
        Ok(vec![Extension {
            extn_id: BasicConstraints::OID,
            critical: true,
            extn_value: OctetString::new(constraints.to_der()?)?,
        }])
    }
}

/// A key (RSA unless said otherwise; the SM2 chain's are `sm2::SecretKey`) and its
/// certificate.
pub struct KeyAndCertificate<K = rsa::PrivateKey> {
    pub key: K,
    pub certificate: SimCertificate,
}

impl<K: EncodePrivateKey + DecodePrivateKey> KeyAndCertificate<K> {
    /// The key as PKCS#8 PEM (`PRIVATE KEY`).
    pub fn key_pem(&self) -> Result<String, CertificateError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| build_error("key encoding", e))
    }

    pub fn from_pem(key_pem: &str, certificate: &[u8]) -> Result<Self, CertificateError> {
        let key = K::from_pkcs8_pem(key_pem)
            .map_err(|e| CertificateError::Unreadable(format!("key: {e}")))?;
        Ok(KeyAndCertificate {
            key,
            certificate: SimCertificate::from_pem_or_der(certificate)?,
        })
    }
}

/// A new key with a certificate for `common_name`, issued by `issuer` (self-signed without).
pub fn issue(
    bits: usize,
    common_name: &str,
    days: u64,
    authority: bool,
    issuer: Option<&KeyAndCertificate>,
) -> Result<KeyAndCertificate, CertificateError> {
    let mut rng = rand::rng();
    let key = rsa::PrivateKey::new(&mut rng, bits).map_err(|e| build_error("key", e))?;
    let certificate = certify(&key, common_name, valid_for_days(days)?, authority, issuer)?;
    Ok(KeyAndCertificate { key, certificate })
}

/// A certificate for `key` over `validity`, issued by `issuer` (self-signed without).
pub fn certify(
    key: &rsa::PrivateKey,
    common_name: &str,
    validity: Validity,
    authority: bool,
    issuer: Option<&KeyAndCertificate>,
) -> Result<SimCertificate, CertificateError> {
    let public = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| build_error("public key", e))?;
    let spki = SubjectPublicKeyInfo::try_from(public.as_bytes())
        .map_err(|e| build_error("public key", e))?;
    let profile = Profile::new(common_name, authority, issuer.map(|i| &i.certificate))?;
    let builder = CertificateBuilder::new(profile, new_serial()?, validity, spki)
        .map_err(|e| build_error("builder", e))?;
    let signer = SigningKey::<Sha256>::new(issuer.map_or_else(|| key.clone(), |i| i.key.clone()));
    let built = builder
        .build::<_, rsa::pkcs1v15::Signature>(&signer)
        .map_err(|e| build_error("signing", e))?;
    let der = built.to_der().map_err(|e| build_error("encoding", e))?;
    SimCertificate::from_der(&der)
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn serials_read_as_decimal() {
        assert_eq!(decimal(&[]), "0");
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0x10, 0x03, 0xde, 0x5d, 0x49]), "68784381257");
    }
}
