//! The demo merchant's key and certificate, kept on disk under the data directory: made on the
//! first run, read (and checked to belong together) on the next ones.

use super::super::admin::KeyPaths;
use super::super::owner_only::{create_private_dir, write_private};
use anyhow::Context;
use std::path::Path;
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

const KEY_BITS: usize = 2048;

/// The merchant's key and the certificate the bank verifies its requests with.
pub struct MerchantIdentity {
    pub key: PrivateKey,
    pub certificate: Certificate,
}

/// Loads the merchant key from `dir`, or generates it there on the first run (or when the pair
/// on disk is unreadable or does not belong together).
pub fn merchant_identity(dir: &Path) -> anyhow::Result<MerchantIdentity> {
    let paths = KeyPaths::new(dir, "merchant");
    if paths.key_pem.exists() && paths.certificate_pem.exists() {
        match load_identity(&paths) {
            Ok(identity) => return Ok(identity),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), dir = %dir.display(),
                    "the demo merchant key cannot be used; generating a new one");
            }
        }
    }
    create_private_dir(dir)?;
    let key = PrivateKey::generate(KEY_BITS).context("generating the merchant key")?;
    let certificate = key
        .self_signed_certificate("unipay demo merchant", 3650)
        .context("making the merchant certificate")?;
    write_private(&paths.key_pem, key.to_pkcs8_pem()?.as_bytes())?;
    write_private(&paths.certificate_der, certificate.to_der())?;
    write_private(&paths.certificate_pem, certificate.to_pem().as_bytes())?;
    Ok(MerchantIdentity { key, certificate })
}

fn load_identity(paths: &KeyPaths) -> anyhow::Result<MerchantIdentity> {
    let key = PrivateKey::from_pem(&std::fs::read_to_string(&paths.key_pem)?)?;
    let certificate = Certificate::from_der_or_pem(&std::fs::read(&paths.certificate_pem)?)?;
    // A certificate from another key would make the bank reject every request, so prove the
    // pair belongs together before trusting it.
    let probe = b"unipay demo key check";
    let signature = key.sign(SignatureAlgorithm::Sha256WithRsa, probe);
    certificate
        .verify(SignatureAlgorithm::Sha256WithRsa, probe, &signature)
        .context("the certificate is not the key's")?;
    Ok(MerchantIdentity { key, certificate })
}
