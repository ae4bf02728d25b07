//! A self-signed certificate for a key: what the simulator and tests hand out as a `.cer`.

use super::{Certificate, KeyError, PrivateKey};
use der::Encode;
use std::str::FromStr;
use std::time::Duration;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{SubjectPublicKeyInfo, SubjectPublicKeyInfoRef};
use x509_cert::time::Validity;

/// A plain end-entity profile: issuer = subject, no extensions (an X.509 v1 certificate, like
/// many bank-issued ones). The CA/Browser profiles in x509-cert demand names we do not have.
struct SelfSigned {
    subject: Name,
}

impl BuilderProfile for SelfSigned {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
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
        Ok(Vec::new())
    }
}

pub(super) fn build(
    key: &PrivateKey,
    common_name: &str,
    days: u32,
) -> Result<Certificate, KeyError> {
    if common_name.is_empty() || common_name.len() > 64 {
        return Err(KeyError::Invalid(
            "common name must be 1 to 64 bytes".to_string(),
        ));
    }
    if days == 0 || days > 36_500 {
        return Err(KeyError::Invalid(
            "validity must be 1 to 36,500 days".to_string(),
        ));
    }
    // RFC 4514 string form: escape the characters that would end or split the value.
    let escaped: String = common_name
        .chars()
        .flat_map(|c| {
            let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=' | '#');
            (special.then_some('\\'))
                .into_iter()
                .chain(std::iter::once(c))
        })
        .collect();
    let subject =
        Name::from_str(&format!("CN={escaped}")).map_err(|e| KeyError::invalid("subject", e))?;
    let spki = SubjectPublicKeyInfo::try_from(key.public_key_der()?.as_slice())
        .map_err(|e| KeyError::invalid("public key", e))?;
    let mut serial = [0u8; 16];
    rand::fill(&mut serial);
    serial[0] &= 0x7f; // positive INTEGER
    serial[0] |= 0x01; // no leading zero byte
    let serial = SerialNumber::new(&serial).map_err(|e| KeyError::invalid("serial number", e))?;
    let validity = Validity::from_now(Duration::from_secs(u64::from(days) * 86_400))
        .map_err(|e| KeyError::invalid("validity", e))?;
    let builder = CertificateBuilder::new(SelfSigned { subject }, serial, validity, spki)
        .map_err(|e| KeyError::invalid("certificate builder", e))?;
    let cert = builder
        .build::<_, rsa::pkcs1v15::Signature>(key.sha256_signer())
        .map_err(|e| KeyError::invalid("certificate signing", e))?;
    let der = cert
        .to_der()
        .map_err(|e| KeyError::invalid("certificate encoding", e))?;
    Certificate::from_der_or_pem(&der)
}
