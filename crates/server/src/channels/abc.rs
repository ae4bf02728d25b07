//! The Agricultural Bank of China's TrustPay (`unipay-channel-abc`): building an account's
//! channel, and reading and fingerprinting its keys.

use super::{ChannelSetupError, Credentials, Fingerprints, KeySource, UNREADABLE};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use unipay_channel_abc::channel::{AbcAccount, AbcChannel, NotifyType};
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use unipay_core::channel::Channel;
use unipay_store::merchants::ChannelAccount;

/// The stored accounts' `channel` value.
pub const CHANNEL: &str = "abc";

/// The payment type codes ABC's cashier offers (`PaymentType`), each of which the console
/// names in words.
pub fn payment_type_codes() -> impl Iterator<Item = &'static str> {
    unipay_channel_abc::channel::PAYMENT_TYPES
        .iter()
        .map(|(code, _)| *code)
}

pub fn build(account: &ChannelAccount) -> Result<Arc<dyn Channel>, ChannelSetupError> {
    let invalid = |what: String| ChannelSetupError::Invalid(account.id.clone(), what);
    let key = PrivateKey::from_pem(&account.private_key_pem).map_err(|e| invalid(e.to_string()))?;
    let certificate = Certificate::from_der_or_pem(account.bank_certificate_pem.as_bytes())
        .map_err(|e| invalid(e.to_string()))?;
    let mut abc = AbcAccount::new(
        &account.bank_merchant_id,
        key,
        certificate,
        &account.trx_url,
    );
    abc.algorithm = SignatureAlgorithm::parse(&account.signature_algorithm).ok_or_else(|| {
        invalid(format!(
            "signature algorithm {:?}",
            account.signature_algorithm
        ))
    })?;
    abc.payment_types = account
        .payment_types
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    abc.notify_type = match account.notify_type.as_str() {
        "page" => NotifyType::Page,
        "server" => NotifyType::Server,
        other => return Err(invalid(format!("notify type {other:?}"))),
    };
    abc.cutover_hour =
        u8::try_from(account.cutover_hour).map_err(|_| invalid("cutover hour".into()))?;
    let channel = AbcChannel::new(abc).map_err(|e| invalid(e.to_string()))?;
    Ok(Arc::new(channel))
}

pub fn read_credentials(
    key: KeySource<'_>,
    bank_certificate: &[u8],
    algorithm: &str,
) -> Result<Credentials, String> {
    let key = match key {
        KeySource::Pkcs12 { der, password } => {
            PrivateKey::from_pkcs12(der, password).map_err(|e| format!("loading the .pfx: {e}"))?
        }
        KeySource::Pem(text) => {
            PrivateKey::from_pem(text).map_err(|e| format!("loading the PEM key: {e}"))?
        }
        KeySource::SecureKey(_) => return Err("ABC signs with a key pair, not a secure key".into()),
    };
    let certificate = Certificate::from_der_or_pem(bank_certificate)
        .map_err(|e| format!("loading the bank certificate: {e}"))?;
    if SignatureAlgorithm::parse(algorithm).is_none() {
        return Err(format!(
            "unknown signature algorithm {algorithm:?} (SHA1withRSA or SHA256withRSA)"
        ));
    }
    Ok(Credentials {
        private_key_pem: key
            .to_pkcs8_pem()
            .map_err(|e| format!("storing the key: {e}"))?,
        bank_certificate_pem: certificate.to_pem(),
        fingerprints: Fingerprints {
            certificate_subject: certificate.subject(),
            certificate_sha256: certificate.fingerprint_sha256(),
            key_sha256: key_fingerprint(&key)?,
        },
    })
}

pub fn fingerprints(account: &ChannelAccount) -> Fingerprints {
    let certificate = Certificate::from_der_or_pem(account.bank_certificate_pem.as_bytes()).ok();
    let key_sha256 = PrivateKey::from_pem(&account.private_key_pem)
        .ok()
        .and_then(|key| key_fingerprint(&key).ok())
        .unwrap_or_else(|| UNREADABLE.to_string());
    Fingerprints {
        certificate_subject: certificate
            .as_ref()
            .map_or_else(|| UNREADABLE.to_string(), Certificate::subject),
        certificate_sha256: certificate
            .as_ref()
            .map_or_else(|| UNREADABLE.to_string(), Certificate::fingerprint_sha256),
        key_sha256,
    }
}

fn key_fingerprint(key: &PrivateKey) -> Result<String, String> {
    let der = key
        .public_key_der()
        .map_err(|e| format!("reading the public key: {e}"))?;
    Ok(hex::encode(Sha256::digest(&der)))
}
