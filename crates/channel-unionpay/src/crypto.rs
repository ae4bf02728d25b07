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
    #[error("{}", outside_validity(*not_before, *not_after, *now))]
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

/// Says which way a certificate is out of date, with the dates an operator compares.
fn outside_validity(not_before: UnixSeconds, not_after: UnixSeconds, now: UnixSeconds) -> String {
    let date = |seconds: UnixSeconds| {
        i64::try_from(seconds)
            .ok()
            .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
            .map_or_else(
                || seconds.to_string(),
                |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            )
    };
    if now > not_after {
        format!(
            "certificate is out of date: expired {} (valid from {}; now {})",
            date(not_after),
            date(not_before),
            date(now)
        )
    } else {
        format!(
            "certificate is not valid yet: valid from {} (until {}; now {})",
            date(not_before),
            date(not_after),
            date(now)
        )
    }
}

impl CertificateError {
    pub(crate) fn unreadable(context: &str, err: impl std::fmt::Display) -> CertificateError {
        CertificateError::Unreadable(format!("{context}: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::CertificateError;

    #[test]
    fn a_certificate_out_of_its_dates_says_which_way_and_when() {
        // 2026-01-01 to 2027-01-01 UTC.
        let (not_before, not_after) = (1_767_225_600, 1_798_761_600);
        let expired = CertificateError::OutsideValidity {
            not_before,
            not_after,
            now: not_after + 86_400,
        };
        assert_eq!(
            expired.to_string(),
            "certificate is out of date: expired 2027-01-01 00:00:00 UTC \
             (valid from 2026-01-01 00:00:00 UTC; now 2027-01-02 00:00:00 UTC)"
        );
        let early = CertificateError::OutsideValidity {
            not_before,
            not_after,
            now: not_before - 1,
        };
        assert!(
            early
                .to_string()
                .starts_with("certificate is not valid yet: valid from 2026-01-01 00:00:00 UTC"),
            "{early}"
        );
    }
}
