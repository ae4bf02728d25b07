//! Keys, certificates and the two RSA signature algorithms the platform uses.

mod certificate;
mod pkcs12;
mod private_key;
mod self_signed;

pub use certificate::Certificate;
pub use private_key::PrivateKey;

/// Key files (PEM, PKCS#12, certificates) are small; anything larger is refused before parsing.
pub const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// The signature algorithm named in a message's `Signature-Algorithm` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    Sha1WithRsa,
    Sha256WithRsa,
}

impl SignatureAlgorithm {
    /// `SHA1withRSA` / `SHA256withRSA`, as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureAlgorithm::Sha1WithRsa => "SHA1withRSA",
            SignatureAlgorithm::Sha256WithRsa => "SHA256withRSA",
        }
    }

    /// Reads the wire name. Java's `Signature.getInstance` ignores case, so we do too.
    pub fn parse(text: &str) -> Option<SignatureAlgorithm> {
        if text.eq_ignore_ascii_case("SHA1withRSA") {
            Some(SignatureAlgorithm::Sha1WithRsa)
        } else if text.eq_ignore_ascii_case("SHA256withRSA") {
            Some(SignatureAlgorithm::Sha256WithRsa)
        } else {
            None
        }
    }
}

impl std::fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("{0}")]
    Invalid(String),
}

impl KeyError {
    pub(crate) fn invalid(context: &str, err: impl std::fmt::Display) -> KeyError {
        KeyError::Invalid(format!("{context}: {err}"))
    }
}

fn check_size(bytes: usize) -> Result<(), KeyError> {
    if bytes > MAX_KEY_FILE_BYTES {
        return Err(KeyError::Invalid(format!(
            "key material of {bytes} bytes exceeds {MAX_KEY_FILE_BYTES}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
