//! China UnionPay's online gateway (`unipay-channel-unionpay`): building an account's channel,
//! and reading and fingerprinting its keys.
//!
//! How a UnionPay account is kept in the channel account's columns:
//! - `private_key_pem` (sealed at rest like every account's key): the merchant's signing key as
//!   PKCS#8 `PRIVATE KEY` followed by its `CERTIFICATE` (signMethod 01 RSA, 21 SM2; the
//!   certificate's serial is the `certId`), or the secure key's text (signMethod 11 and 12);
//! - `bank_certificate_pem`: the root then the middle certificate the bank's `signPubKeyCert`
//!   must chain to (5.1.0; SM2 ones for signMethod 21), or the bank's verification certificate
//!   (5.0.0); empty for a secure key;
//! - `signature_algorithm`: the signing profile (`rsa-sha256`, `rsa-sha1`, `key-sha256`,
//!   `key-sm3`, `sm2`), followed by ` test-cn` when the bank's certificates may carry the test
//!   environment's CN instead of `中国银联股份有限公司`;
//! - `trx_url`: the gateway's base address; `payment_types`: the `channelType`s offered.

use super::{ChannelSetupError, Credentials, Fingerprints, KeySource, UNREADABLE};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use unipay_channel_unionpay::channel::{
    SigningProfile, UnionPayAccount, UnionPayChannel, certificates, pem_block, signer, verifier,
};
use unipay_channel_unionpay::crypto::{Certificate, IdentityRule};
use unipay_channel_unionpay::signing::RsaCertificateSigner;
use unipay_core::channel::Channel;
use unipay_store::merchants::ChannelAccount;

/// The stored accounts' `channel` value.
pub const CHANNEL: &str = unipay_channel_unionpay::channel::NAME;

/// The suffix of `signature_algorithm` that accepts the test environment's CN.
const TEST_CN: &str = "test-cn";

/// The `channelType`s offered when the account's adder names none: desktop web.
pub const DEFAULT_CHANNEL_TYPES: &str = "07";

/// UnionPay's day ends at 23:00 Beijing time.
pub const CUTOVER_HOUR: u8 = 23;

/// The signing profile an account takes when its adder names none: the one its key is for.
pub fn default_profile(key: &KeySource<'_>) -> &'static str {
    match key {
        KeySource::Pkcs12 { .. } => SigningProfile::RsaSha256.name(),
        KeySource::SecureKey(_) => SigningProfile::SecureKeySha256.name(),
        // A PEM upload is an SM2 key with its certificate (RSA keys come as .pfx).
        KeySource::Pem(_) => SigningProfile::Sm2.name(),
    }
}

/// `signature_algorithm` as stored: the profile, and whether the bank's certificates may
/// carry the test environment's CN.
pub fn stored_algorithm(profile: &str, accept_test_cn: bool) -> String {
    if accept_test_cn {
        format!("{profile} {TEST_CN}")
    } else {
        profile.to_string()
    }
}

/// The bank's certificates as one PEM text, in the order given (root, middle, then 5.0.0's
/// verification certificate); each part is a PEM file.
pub fn joined_certificates<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut joined = Vec::new();
    for part in parts {
        joined.extend_from_slice(part);
        joined.push(b'\n');
    }
    joined
}

/// The profile and the CN rule a stored `signature_algorithm` names.
fn profile(algorithm: &str) -> Result<(SigningProfile, IdentityRule), String> {
    let mut words = algorithm.split_whitespace();
    let profile = words
        .next()
        .and_then(SigningProfile::parse)
        .ok_or_else(|| {
            format!(
                "signing {algorithm:?} is not one of {}",
                SigningProfile::NAMES
            )
        })?;
    let identity = match words.next() {
        None => IdentityRule::UnionPayOnly,
        Some(TEST_CN) => IdentityRule::AlsoTestIdentity,
        Some(other) => return Err(format!("{other:?} after the signing profile")),
    };
    Ok((profile, identity))
}

pub fn build(account: &ChannelAccount) -> Result<Arc<dyn Channel>, ChannelSetupError> {
    let invalid = |what: String| ChannelSetupError::Invalid(account.id.clone(), what);
    let (profile, identity) = profile(&account.signature_algorithm).map_err(invalid)?;
    let secret = &account.private_key_pem;
    let signer = signer(profile, secret).map_err(|e| invalid(e.to_string()))?;
    let verifier = verifier(profile, secret, &account.bank_certificate_pem, identity)
        .map_err(|e| invalid(e.to_string()))?;
    let mut unionpay = UnionPayAccount::new(
        &account.bank_merchant_id,
        profile,
        signer,
        verifier,
        &account.trx_url,
    )
    .map_err(|e| invalid(e.to_string()))?;
    unionpay
        .set_channel_types(&account.payment_types)
        .map_err(|e| invalid(e.to_string()))?;
    let channel = UnionPayChannel::new(unionpay).map_err(|e| invalid(e.to_string()))?;
    Ok(Arc::new(channel))
}

pub fn read_credentials(
    key: KeySource<'_>,
    bank_certificates: &[u8],
    algorithm: &str,
) -> Result<Credentials, String> {
    let (profile, identity) = profile(algorithm)?;
    let secret = match (key, profile.uses_certificate()) {
        // An SM2 key comes as PEM: PKCS#8 `PRIVATE KEY` and its `CERTIFICATE`, kept as given
        // once both are read back (below).
        (KeySource::Pem(text), true) if profile == SigningProfile::Sm2 => sm2_pem(text)?,
        (_, true) if profile == SigningProfile::Sm2 => {
            return Err("sm2 signs with a PEM key and certificate (--sm2-key)".into());
        }
        (KeySource::Pkcs12 { der, password }, true) => {
            let (key, certificate) = RsaCertificateSigner::read_pkcs12(der, password)
                .map_err(|e| format!("loading the .pfx: {e}"))?;
            format!("{}{}", pem("PRIVATE KEY", &key), pem_of(&certificate))
        }
        (KeySource::SecureKey(text), false) => text.trim().to_string(),
        (_, true) => return Err(format!("{} signs with a .pfx", profile.name())),
        (_, false) => return Err(format!("{} signs with a secure key", profile.name())),
    };
    let bank_certificates = std::str::from_utf8(bank_certificates)
        .map_err(|_| "the bank's certificates must be PEM".to_string())?;
    // Read back as the server will: an account that would not build is refused now.
    signer(profile, &secret).map_err(|e| e.to_string())?;
    verifier(profile, &secret, bank_certificates, identity).map_err(|e| e.to_string())?;
    let kept: String = certificates(bank_certificates)
        .map_err(|e| e.to_string())?
        .iter()
        .map(pem_of)
        .collect();
    let fingerprints = fingerprints_of(profile, &secret, &kept);
    Ok(Credentials {
        private_key_pem: secret,
        bank_certificate_pem: kept,
        fingerprints,
    })
}

pub fn fingerprints(account: &ChannelAccount) -> Fingerprints {
    match profile(&account.signature_algorithm) {
        Ok((profile, _)) => fingerprints_of(
            profile,
            &account.private_key_pem,
            &account.bank_certificate_pem,
        ),
        Err(_) => Fingerprints {
            certificate_subject: UNREADABLE.into(),
            certificate_sha256: UNREADABLE.into(),
            key_sha256: UNREADABLE.into(),
        },
    }
}

/// The first bank certificate (the root, or 5.0.0's verification certificate) names the
/// account's trust; the merchant's certificate key is named by its public key. A secure key
/// has no public half, and a hash of a short shared secret could be checked against guesses:
/// nothing of it is shown.
fn fingerprints_of(profile: SigningProfile, secret: &str, bank_certificates: &str) -> Fingerprints {
    let bank = certificates(bank_certificates)
        .ok()
        .and_then(|found| found.into_iter().next());
    let (certificate_subject, certificate_sha256) = match bank {
        Some(certificate) => (
            certificate.common_name().to_string(),
            hex::encode(Sha256::digest(certificate.to_der())),
        ),
        None if !profile.uses_certificate() => ("none (secure key)".into(), "none".into()),
        None => (UNREADABLE.into(), UNREADABLE.into()),
    };
    let key_sha256 = if profile.uses_certificate() {
        Certificate::from_pem(secret)
            .ok()
            .and_then(|certificate| certificate.public_key_sha256())
            .unwrap_or_else(|| UNREADABLE.into())
    } else {
        "secure key (not shown)".into()
    };
    Fingerprints {
        certificate_subject,
        certificate_sha256,
        key_sha256,
    }
}

/// The PKCS#8 key and the certificate of an SM2 PEM upload, each re-encoded alone: anything
/// else the file held (comments, other blocks) is not kept.
fn sm2_pem(text: &str) -> Result<String, String> {
    let key = pem_block(text, "PRIVATE KEY")
        .ok_or("the SM2 key file holds no PRIVATE KEY block (PKCS#8)")?;
    let certificate =
        Certificate::from_pem(text).map_err(|e| format!("the SM2 key file's CERTIFICATE: {e}"))?;
    Ok(format!(
        "{}{}",
        pem("PRIVATE KEY", &key),
        pem_of(&certificate)
    ))
}

fn pem_of(certificate: &Certificate) -> String {
    pem("CERTIFICATE", certificate.to_der())
}

fn pem(label: &str, der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
