//! X.509 certificates: only what verifying needs (subject, public key), parsed once.

use super::{KeyError, SignatureAlgorithm, check_size};
use base64::Engine;
use der::{Decode, Encode};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// An X.509 certificate whose public key verifies signatures.
#[derive(Clone)]
pub struct Certificate {
    /// The bytes exactly as loaded (never re-encoded), so fingerprints match other tools.
    der: Vec<u8>,
    subject: String,
    sha1: VerifyingKey<Sha1>,
    sha256: VerifyingKey<Sha256>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("sha256", &self.fingerprint_sha256())
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
    /// Loads DER or PEM (`BEGIN CERTIFICATE`), whichever the bytes are.
    pub fn from_der_or_pem(bytes: &[u8]) -> Result<Certificate, KeyError> {
        check_size(bytes.len())?;
        // DER starts with a SEQUENCE tag; anything else is tried as PEM text.
        if bytes.first() == Some(&0x30) {
            return Certificate::from_der(bytes);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| {
            KeyError::Invalid("certificate is neither DER nor PEM text".to_string())
        })?;
        let der = pem_body(text, "CERTIFICATE")?;
        Certificate::from_der(&der)
    }

    fn from_der(der: &[u8]) -> Result<Certificate, KeyError> {
        let cert = x509_cert::Certificate::from_der(der)
            .map_err(|e| KeyError::invalid("X.509 certificate", e))?;
        let tbs = cert.tbs_certificate();
        let spki = tbs
            .subject_public_key_info()
            .to_der()
            .map_err(|e| KeyError::invalid("certificate public key", e))?;
        let public = rsa::PublicKey::from_public_key_der(&spki)
            .map_err(|e| KeyError::invalid("certificate RSA public key", e))?;
        Ok(Certificate {
            der: der.to_vec(),
            subject: tbs.subject().to_string(),
            sha1: VerifyingKey::<Sha1>::new(public.clone()),
            sha256: VerifyingKey::<Sha256>::new(public),
        })
    }

    pub fn to_der(&self) -> &[u8] {
        &self.der
    }

    pub fn to_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        // 64 columns, as RFC 7468 asks; the input is ASCII so byte chunks are char chunks.
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// Subject distinguished name, e.g. `CN=MainServer.0001,OU=PaymentGateway,O=ABC`.
    pub fn subject(&self) -> String {
        self.subject.clone()
    }

    /// Lowercase hex SHA-256 of the DER bytes.
    pub fn fingerprint_sha256(&self) -> String {
        hex::encode(Sha256::digest(&self.der))
    }

    /// `Ok(())` when `signature` is a valid signature of `data` by this certificate's key.
    pub fn verify(
        &self,
        algorithm: SignatureAlgorithm,
        data: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyError> {
        let signature = Signature::try_from(signature)
            .map_err(|e| KeyError::invalid("signature encoding", e))?;
        let result = match algorithm {
            SignatureAlgorithm::Sha1WithRsa => self.sha1.verify(data, &signature),
            SignatureAlgorithm::Sha256WithRsa => self.sha256.verify(data, &signature),
        };
        result.map_err(|_| KeyError::Invalid("signature does not verify".to_string()))
    }
}

/// The base64 body of the first `BEGIN <label>` block, decoded.
fn pem_body(text: &str, label: &str) -> Result<Vec<u8>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text
        .find(&begin)
        .ok_or_else(|| KeyError::Invalid(format!("no {begin} line")))?
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or_else(|| KeyError::Invalid(format!("no {end} line")))?
        + start;
    let b64: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|e| KeyError::invalid("PEM base64", e))
}
