//! The RSA private key, parsed once. Parsing, encoding and certificates use the pure-Rust
//! `rsa` crate; the signature itself is made by OpenSSL, which is six to ten times faster:
//! every payment costs three RSA signatures (our PayReq, the bank's answer, the bank's
//! notification), and with `rsa` alone they were the largest cost on the hot path.

use super::{Certificate, KeyError, SignatureAlgorithm, check_size};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use sha1::Sha1;
use sha2::Sha256;

/// An RSA private key that signs (the merchant's, or the simulated bank's).
#[derive(Clone)]
pub struct PrivateKey {
    key: rsa::PrivateKey,
    /// The same key for OpenSSL (reference-counted, so cloning is cheap).
    fast: openssl::pkey::PKey<openssl::pkey::Private>,
    // Built once: creating a signer computes the DigestInfo prefix, and the hot path signs
    // one PayReq per payment.
    sha1: SigningKey<Sha1>,
    sha256: SigningKey<Sha256>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "PrivateKey(RSA {} bits)", self.bits())
    }
}

impl PrivateKey {
    pub(crate) fn from_rsa(key: rsa::PrivateKey) -> Result<PrivateKey, KeyError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|e| KeyError::invalid("PKCS#8 encoding", e))?;
        let fast = openssl::pkey::PKey::private_key_from_pkcs8(der.as_bytes())
            .map_err(|e| KeyError::invalid("OpenSSL key", e))?;
        Ok(PrivateKey {
            sha1: SigningKey::<Sha1>::new(key.clone()),
            sha256: SigningKey::<Sha256>::new(key.clone()),
            fast,
            key,
        })
    }

    /// Loads the first private key of a PKCS#12 (`.pfx`) file.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<PrivateKey, KeyError> {
        check_size(der.len())?;
        let pkcs8 = super::pkcs12::first_private_key(der, password)?;
        PrivateKey::from_pkcs8_der(&pkcs8)
    }

    /// Loads a PEM private key, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<PrivateKey, KeyError> {
        check_size(pem.len())?;
        let pem = pem.trim();
        let key = if pem.contains("-----BEGIN RSA PRIVATE KEY-----") {
            rsa::PrivateKey::from_pkcs1_pem(pem).map_err(|e| KeyError::invalid("PKCS#1 PEM", e))?
        } else if pem.contains("-----BEGIN PRIVATE KEY-----") {
            rsa::PrivateKey::from_pkcs8_pem(pem).map_err(|e| KeyError::invalid("PKCS#8 PEM", e))?
        } else {
            return Err(KeyError::Invalid(
                "expected BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY (encrypted PEM is not supported)"
                    .to_string(),
            ));
        };
        PrivateKey::from_rsa(key)
    }

    /// Loads an unencrypted PKCS#8 DER private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        check_size(der.len())?;
        let key =
            rsa::PrivateKey::from_pkcs8_der(der).map_err(|e| KeyError::invalid("PKCS#8 key", e))?;
        PrivateKey::from_rsa(key)
    }

    /// PKCS#8 PEM, for storing the key.
    pub fn to_pkcs8_pem(&self) -> Result<String, KeyError> {
        let pem = self
            .key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| KeyError::invalid("PKCS#8 encoding", e))?;
        Ok(pem.as_str().to_string())
    }

    /// PKCS#8 DER (kept out of the public API surface: it is secret material).
    pub(crate) fn to_pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        let doc = self
            .key
            .to_pkcs8_der()
            .map_err(|e| KeyError::invalid("PKCS#8 encoding", e))?;
        Ok(doc.as_bytes().to_vec())
    }

    /// A PKCS#12 (`.pfx`) holding this key and `certificate`, encrypted with PBES2/AES-256 and
    /// MACed with HMAC-SHA256 (p12-keystore's modern defaults).
    pub fn to_pkcs12(
        &self,
        certificate: &Certificate,
        password: &str,
    ) -> Result<Vec<u8>, KeyError> {
        super::pkcs12::write(&self.to_pkcs8_der()?, certificate.to_der(), password)
    }

    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        self.key.size() * 8
    }

    pub(crate) fn sha256_signer(&self) -> &SigningKey<Sha256> {
        &self.sha256
    }

    /// RSA PKCS#1 v1.5 signature over `data`, by OpenSSL; should OpenSSL fail, by `rsa`.
    pub fn sign(&self, algorithm: SignatureAlgorithm, data: &[u8]) -> Vec<u8> {
        let digest = match algorithm {
            SignatureAlgorithm::Sha1WithRsa => openssl::hash::MessageDigest::sha1(),
            SignatureAlgorithm::Sha256WithRsa => openssl::hash::MessageDigest::sha256(),
        };
        let signed = openssl::sign::Signer::new(digest, &self.fast).and_then(|mut signer| {
            signer.update(data)?;
            signer.sign_to_vec()
        });
        match signed {
            Ok(signature) => signature,
            Err(err) => {
                tracing::warn!(%err, "OpenSSL signing failed; signing with rsa");
                self.sign_portable(algorithm, data)
            }
        }
    }

    /// RSA PKCS#1 v1.5 signature over `data`, in pure Rust.
    ///
    /// Infallible by contract: every loaded key is at least 1024 bits (rsa refuses smaller ones),
    /// which fits both DigestInfo encodings, so only the blinding RNG can fail. Then we sign
    /// without blinding (PKCS#1 v1.5 is deterministic: same bytes). Should even that fail, the
    /// error is logged and an empty signature returned, which no verifier accepts.
    pub fn sign_portable(&self, algorithm: SignatureAlgorithm, data: &[u8]) -> Vec<u8> {
        let blinded = match algorithm {
            SignatureAlgorithm::Sha1WithRsa => self.sha1.try_sign(data).map(|s| s.to_vec()),
            SignatureAlgorithm::Sha256WithRsa => self.sha256.try_sign(data).map(|s| s.to_vec()),
        };
        match blinded {
            Ok(signature) => signature,
            Err(err) => {
                tracing::warn!(%err, "blinded RSA signing failed; signing without blinding");
                self.sign_unblinded(algorithm, data)
            }
        }
    }

    fn sign_unblinded(&self, algorithm: SignatureAlgorithm, data: &[u8]) -> Vec<u8> {
        use sha2::Digest;
        let result = match algorithm {
            SignatureAlgorithm::Sha1WithRsa => {
                let digest = Sha1::digest(data);
                self.key.sign(rsa::Pkcs1v15Sign::new::<Sha1>(), &digest)
            }
            SignatureAlgorithm::Sha256WithRsa => {
                let digest = Sha256::digest(data);
                self.key.sign(rsa::Pkcs1v15Sign::new::<Sha256>(), &digest)
            }
        };
        result.unwrap_or_else(|err| {
            tracing::error!(%err, "RSA signing failed");
            Vec::new()
        })
    }

    pub fn generate(bits: usize) -> Result<PrivateKey, KeyError> {
        if !(1024..=8192).contains(&bits) {
            return Err(KeyError::Invalid(format!(
                "RSA key size {bits} not in 1024..=8192"
            )));
        }
        let mut rng = rand::rng();
        let key = rsa::PrivateKey::new(&mut rng, bits)
            .map_err(|e| KeyError::invalid("RSA key generation", e))?;
        PrivateKey::from_rsa(key)
    }

    /// A self-signed X.509 certificate for this key (tests, demo, the simulator).
    pub fn self_signed_certificate(
        &self,
        common_name: &str,
        days: u32,
    ) -> Result<Certificate, KeyError> {
        super::self_signed::build(self, common_name, days)
    }

    /// The public half, DER SubjectPublicKeyInfo (for comparing with a certificate).
    pub fn public_key_der(&self) -> Result<Vec<u8>, KeyError> {
        use rsa::pkcs8::EncodePublicKey;
        let doc = self
            .key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| KeyError::invalid("public key encoding", e))?;
        Ok(doc.as_bytes().to_vec())
    }
}
