//! Merchant → platform: `{"Message":M,"Signature-Algorithm":A,"Signature":S}` and the client's
//! trailing `\n`; S is SHA1withRSA (or SHA256withRSA) over the UTF-8 bytes of M as they stand
//! in the body. M is cut out by position and verified before anything parses it:
//! re-serialising would change the bytes and break the signature.

use super::{MAX_MESSAGE_BYTES, find, rfind};
use base64::Engine;
use unipay_channel_abc::crypto::{Certificate, SignatureAlgorithm};

const HEAD: &[u8] = b"{\"Message\":";
const ALGORITHM: &[u8] = b",\"Signature-Algorithm\":\"";
const SIGNATURE: &[u8] = b"\",\"Signature\":\"";
const TAIL: &[u8] = b"\"}";

/// Why a body is not a request; each has its own answer code.
#[derive(Debug, PartialEq, Eq)]
pub enum CutError {
    /// Over [`MAX_MESSAGE_BYTES`] (without the line end).
    TooLarge,
    /// Not the envelope's shape.
    Malformed,
    /// `Signature-Algorithm` names something else.
    UnknownAlgorithm,
}

/// A request cut apart; M not yet parsed.
#[derive(Debug)]
pub struct SignedRequest<'a> {
    /// M's exact bytes in the body.
    pub message: &'a [u8],
    pub algorithm: SignatureAlgorithm,
    pub signature: Vec<u8>,
}

/// Drops the client's line end: one `\n` (or `\r\n`).
pub fn trim_line_end(body: &[u8]) -> &[u8] {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    body.strip_suffix(b"\r").unwrap_or(body)
}

/// Cuts a body (with or without its line end). M runs from after `{"Message":` to the LAST
/// `,"Signature-Algorithm":"`: M's own values may contain that text, the envelope's fields
/// always come last.
pub fn cut(body: &[u8]) -> Result<SignedRequest<'_>, CutError> {
    let body = trim_line_end(body);
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(CutError::TooLarge);
    }
    let rest = body.strip_prefix(HEAD).ok_or(CutError::Malformed)?;
    let at = rfind(rest, ALGORITHM).ok_or(CutError::Malformed)?;
    let message = &rest[..at];
    let after = &rest[at + ALGORITHM.len()..];
    let signature_at = find(after, SIGNATURE).ok_or(CutError::Malformed)?;
    let algorithm = std::str::from_utf8(&after[..signature_at])
        .ok()
        .and_then(SignatureAlgorithm::parse)
        .ok_or(CutError::UnknownAlgorithm)?;
    let signature = after[signature_at + SIGNATURE.len()..]
        .strip_suffix(TAIL)
        .ok_or(CutError::Malformed)?;
    if message.is_empty() {
        return Err(CutError::Malformed);
    }
    Ok(SignedRequest {
        message,
        algorithm,
        signature: decode_signature(signature).ok_or(CutError::Malformed)?,
    })
}

/// Standard base64; line breaks inside (Java encoders that wrap at 76) are dropped, which is
/// safe because the signature is not what is signed.
fn decode_signature(bytes: &[u8]) -> Option<Vec<u8>> {
    let compact: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.is_empty() {
        return None;
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
}

impl SignedRequest<'_> {
    /// Whether S verifies over M's exact bytes with the merchant's certificate.
    pub fn verifies(&self, certificate: &Certificate) -> bool {
        certificate
            .verify(self.algorithm, self.message, &self.signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_the_last_algorithm_marker() {
        let body = br#"{"Message":{"a":",\"Signature-Algorithm\":\""},"Signature-Algorithm":"SHA1withRSA","Signature":"AAAA"}"#;
        let signed = cut(body).map_err(|e| format!("{e:?}"));
        let signed = signed.as_ref().map(|s| s.message);
        assert_eq!(signed, Ok(&br#"{"a":",\"Signature-Algorithm\":\""}"#[..]));
    }

    #[test]
    fn refuses_what_is_not_a_request() {
        assert_eq!(cut(b"").err(), Some(CutError::Malformed));
        assert_eq!(
            cut(b"{\"Message\":{},\"Signature-Algorithm\":\"MD5\",\"Signature\":\"AA==\"}").err(),
            Some(CutError::UnknownAlgorithm)
        );
        assert_eq!(
            cut(b"{\"Message\":{},\"Signature-Algorithm\":\"SHA1withRSA\",\"Signature\":\"\"}")
                .err(),
            Some(CutError::Malformed)
        );
        let large = vec![b' '; MAX_MESSAGE_BYTES + 1];
        assert_eq!(cut(&large).err(), Some(CutError::TooLarge));
    }
}
