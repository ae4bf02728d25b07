//! PKCS#12 (`.pfx`): banks ship merchant keys in this form, often with legacy PBES1
//! (3DES / RC2) encryption, which p12-keystore reads.

use super::KeyError;
use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12Archive, PrivateKeyChain};

/// PKCS#8 DER of the first private key bag.
pub(super) fn first_private_key(der: &[u8], password: &str) -> Result<Vec<u8>, KeyError> {
    // The archive view keeps key bags even without a localKeyId (some bank tools omit it).
    let archive = Pkcs12Archive::from_pkcs12(der, password)
        .map_err(|e| KeyError::invalid("PKCS#12 (wrong password or damaged file)", e))?;
    let bag = archive
        .keys
        .first()
        .ok_or_else(|| KeyError::Invalid("PKCS#12 holds no private key".to_string()))?;
    Ok(bag.key.as_der().to_vec())
}

pub(super) fn write(
    pkcs8_der: &[u8],
    certificate_der: &[u8],
    password: &str,
) -> Result<Vec<u8>, KeyError> {
    let key = p12_keystore::PrivateKey::from_der(pkcs8_der)
        .map_err(|e| KeyError::invalid("PKCS#12 key", e))?;
    let cert = p12_keystore::Certificate::from_der(certificate_der)
        .map_err(|e| KeyError::invalid("PKCS#12 certificate", e))?;
    let chain = PrivateKeyChain::new(local_key_id(certificate_der), key, [cert]);
    let mut store = KeyStore::new();
    store.add_entry("unipay", KeyStoreEntry::PrivateKeyChain(chain));
    // Defaults: PBES2 with AES-256 and HMAC-SHA256, 10,000 iterations.
    store
        .writer(password)
        .write()
        .map_err(|e| KeyError::invalid("PKCS#12 writing", e))
}

/// The localKeyId links key and certificate bags; the certificate's SHA-1 is the usual choice.
fn local_key_id(certificate_der: &[u8]) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    Sha1::digest(certificate_der).to_vec()
}
