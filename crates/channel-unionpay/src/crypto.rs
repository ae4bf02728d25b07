//! Certificates and the checks a certificate sent inside a message must pass before its key
//! is believed.

mod certificate;
mod chain;
mod der_parts;
mod serial;

pub use certificate::{Certificate, PublicKey};
pub use chain::{ChainOfTrust, IdentityRule, UNIONPAY_IDENTITY};

/// Certificates are small; anything larger is refused before parsing.
pub const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;

/// Seconds since 1970-01-01 UTC: the moment a certificate's validity is judged at. Passed in,
/// never read from the clock here, so that historic messages can be checked at their time.
pub type UnixSeconds = u64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("certificate cannot be read: {0}")]
    Unreadable(String),
    #[error("certificate key is neither RSA nor SM2")]
    UnsupportedKey,
    #[error("certificate is not valid at this time (valid {not_before}..{not_after}, now {now})")]
    OutsideValidity {
        not_before: UnixSeconds,
        not_after: UnixSeconds,
        now: UnixSeconds,
    },
    #[error("certificate is not issued by {0}")]
    NotIssuedBy(&'static str),
    #[error("certificate signature algorithm {0} is not supported")]
    UnsupportedSignatureAlgorithm(String),
    #[error("certificate identity {0:?} is not UnionPay's")]
    WrongIdentity(String),
}

impl CertificateError {
    pub(crate) fn unreadable(context: &str, err: impl std::fmt::Display) -> CertificateError {
        CertificateError::Unreadable(format!("{context}: {err}"))
    }
}
