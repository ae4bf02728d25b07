//! Whether a certificate carried inside a 5.1.0 message (`signPubKeyCert`) speaks for
//! UnionPay, as the SDKs' `CertUtil.verifyCertificate` decides: valid now, issued by the
//! configured middle certificate, which the configured root issued, and a CN naming UnionPay.

use super::{Certificate, CertificateError, PublicKey, UnixSeconds};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;

/// The organisation, third `@`-separated part of the CN of UnionPay's signing certificates.
pub const UNIONPAY_IDENTITY: &str = "中国银联股份有限公司";
/// What the test environment's RSA signing certificates carry there instead.
const TEST_IDENTITY_RSA: &str = "00040000:SIGN";
/// What the test environment's SM2 signing certificates carry there instead.
const TEST_IDENTITY_SM2: &str = "ZunionpayTest";

const SHA1_WITH_RSA: &str = "1.2.840.113549.1.1.5";
const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const SM2_WITH_SM3: &str = "1.2.156.10197.1.501";
/// GM/T 0009's default SM2 user ID: the one certificate authorities sign certificates with.
const DEFAULT_SM2_ID: &str = "1234567812345678";

/// Which CN the bank's certificate must carry (the SDKs' `acpsdk.ifValidateCNName`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdentityRule {
    /// Only `中国银联股份有限公司`: production.
    #[default]
    UnionPayOnly,
    /// Also the test environment's `00040000:SIGN` (RSA) or `ZunionpayTest` (SM2).
    AlsoTestIdentity,
}

/// The root and middle certificates a bank certificate must chain to.
#[derive(Debug, Clone)]
pub struct ChainOfTrust {
    pub root: Certificate,
    pub middle: Certificate,
    pub identity: IdentityRule,
}

impl ChainOfTrust {
    /// `Ok` when `leaf` may be believed at `now`. Revocation is not checked (the SDKs turn
    /// it off); the root and the middle are checked for dates too.
    pub fn check(&self, leaf: &Certificate, now: UnixSeconds) -> Result<(), CertificateError> {
        leaf.check_validity(now)?;
        self.middle.check_validity(now)?;
        self.root.check_validity(now)?;
        issued_by(leaf, &self.middle, "the middle certificate")?;
        issued_by(&self.middle, &self.root, "the root certificate")?;
        check_identity(leaf, self.identity)
    }

    /// `Ok` when the root issued the middle: checked once, when an account is set up, so that
    /// two certificates given the wrong way round (or from different chains) are refused then
    /// rather than making every message from the bank unbelievable.
    pub fn check_middle(&self) -> Result<(), CertificateError> {
        issued_by(&self.middle, &self.root, "the root certificate")
    }
}

fn check_identity(leaf: &Certificate, rule: IdentityRule) -> Result<(), CertificateError> {
    let identity = leaf.common_name().split('@').nth(2).unwrap_or_default();
    let accepted = identity == UNIONPAY_IDENTITY
        || (rule == IdentityRule::AlsoTestIdentity
            && (identity == TEST_IDENTITY_RSA || identity == TEST_IDENTITY_SM2));
    if accepted {
        Ok(())
    } else {
        Err(CertificateError::WrongIdentity(
            leaf.common_name().to_string(),
        ))
    }
}

/// `child` names `parent` as issuer and carries `parent`'s signature over its own content.
fn issued_by(
    child: &Certificate,
    parent: &Certificate,
    parent_role: &'static str,
) -> Result<(), CertificateError> {
    if child.issuer_der() != parent.subject_der() {
        return Err(CertificateError::NotIssuedBy(parent_role));
    }
    let data = child.signed_bytes();
    let signature = child.issuer_signature();
    let verified = match (child.signature_algorithm(), parent.public_key()) {
        (SHA1_WITH_RSA, PublicKey::Rsa(key)) => rsa_signature(signature).is_some_and(|s| {
            VerifyingKey::<sha1::Sha1>::new(key.clone())
                .verify(data, &s)
                .is_ok()
        }),
        (SHA256_WITH_RSA, PublicKey::Rsa(key)) => rsa_signature(signature).is_some_and(|s| {
            VerifyingKey::<sha2::Sha256>::new(key.clone())
                .verify(data, &s)
                .is_ok()
        }),
        (SM2_WITH_SM3, PublicKey::Sm2(key)) => sm2_verifies(key, data, signature),
        (other, _) => {
            return Err(CertificateError::UnsupportedSignatureAlgorithm(
                other.to_string(),
            ));
        }
    };
    if verified {
        Ok(())
    } else {
        Err(CertificateError::NotIssuedBy(parent_role))
    }
}

fn rsa_signature(bytes: &[u8]) -> Option<Signature> {
    Signature::try_from(bytes).ok()
}

fn sm2_verifies(key: &sm2::PublicKey, data: &[u8], signature: &[u8]) -> bool {
    let Ok(verifier) = sm2::dsa::VerifyingKey::new(DEFAULT_SM2_ID, *key) else {
        return false;
    };
    sm2::dsa::Signature::from_der(signature)
        .map(|signature| verifier.verify(data, &signature).is_ok())
        .unwrap_or(false)
}
