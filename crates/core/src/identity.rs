//! Identity verification (身份验证): does a card belong to the person (or company) named, with
//! this identity document and mobile number? The bank answers match or no match, at once
//! (direct) or after the customer confirms on its page (redirect).
//!
//! A verification's status moves only from `pending` to one of the final three; a final one
//! never changes (a repeated or late result is recorded and ignored).

/// How the bank is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyMode {
    /// The customer is sent to the bank's page; the result arrives later as a message
    /// (ABC `IdentityVerifyReq`).
    Redirect,
    /// The bank answers the request itself (ABC `StaticIdentifyVerifyReq`).
    Direct,
}

impl VerifyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMode::Redirect => "redirect",
            VerifyMode::Direct => "direct",
        }
    }

    pub fn parse(text: &str) -> Option<VerifyMode> {
        match text {
            "redirect" => Some(VerifyMode::Redirect),
            "direct" => Some(VerifyMode::Direct),
            _ => None,
        }
    }
}

/// Who is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CustomerType {
    Person,
    Company,
}

impl CustomerType {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerType::Person => "person",
            CustomerType::Company => "company",
        }
    }

    pub fn parse(text: &str) -> Option<CustomerType> {
        match text {
            "person" => Some(CustomerType::Person),
            "company" => Some(CustomerType::Company),
            _ => None,
        }
    }
}

/// Identity document types the bank's own client accepts (CertificateType): `I` 居民身份证
/// (15 or 18 characters), `P` passport, `K` 户口簿, `D` 港澳通行证, `W` 台胞证, and the others
/// its DataVerifier lists.
pub const CERTIFICATE_TYPES: &[&str] = &[
    "I", "P", "S", "J", "K", "T", "F", "D", "W", "U", "R", "B", "A", "C", "E", "G", "H", "L", "M",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerifyStatus {
    /// Waiting for the customer at the bank's page (redirect mode).
    Pending,
    /// The bank says the details belong together.
    Matched,
    /// The bank says they do not.
    NotMatched,
    /// The bank could not verify (refused the request, or an error): no verdict.
    Failed,
}

impl VerifyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyStatus::Pending => "pending",
            VerifyStatus::Matched => "matched",
            VerifyStatus::NotMatched => "not_matched",
            VerifyStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<VerifyStatus> {
        match text {
            "pending" => Some(VerifyStatus::Pending),
            "matched" => Some(VerifyStatus::Matched),
            "not_matched" => Some(VerifyStatus::NotMatched),
            "failed" => Some(VerifyStatus::Failed),
            _ => None,
        }
    }

    pub fn is_final(self) -> bool {
        self != VerifyStatus::Pending
    }
}

/// The business notification a final status sends.
pub const IDENTITY_VERIFIED_EVENT: &str = "identity.verified";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in [
            VerifyStatus::Pending,
            VerifyStatus::Matched,
            VerifyStatus::NotMatched,
            VerifyStatus::Failed,
        ] {
            assert_eq!(VerifyStatus::parse(status.as_str()), Some(status));
        }
        assert!(!VerifyStatus::Pending.is_final());
        assert_eq!(VerifyMode::parse("direct"), Some(VerifyMode::Direct));
        assert_eq!(CustomerType::parse("company"), Some(CustomerType::Company));
        assert_eq!(VerifyMode::parse("page"), None);
    }
}
