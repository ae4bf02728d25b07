//! Merchant → platform: `{"Message":M,"Signature-Algorithm":A,"Signature":S}\n`, S over UTF-8 M.

use super::{
    WireError, check_size, decode_signature, encode_signature, malformed, rfind, strip_line_end,
    verify,
};
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

const HEAD: &[u8] = b"{\"Message\":";
const ALGORITHM: &[u8] = b",\"Signature-Algorithm\":\"";
const SIGNATURE: &[u8] = b"\",\"Signature\":\"";
const TAIL: &[u8] = b"\"}";

/// Merchant → platform request body: `{"Message":M,"Signature-Algorithm":A,"Signature":S}` plus
/// the trailing `\n` the real client sends. `message_json` is M: compact JSON text, already in
/// the protocol's key order. S signs the UTF-8 bytes of M.
pub fn build_request(
    message_json: &str,
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
) -> Vec<u8> {
    let signature = encode_signature(&key.sign(algorithm, message_json.as_bytes()));
    let mut body = Vec::with_capacity(message_json.len() + signature.len() + 64);
    body.extend_from_slice(HEAD);
    body.extend_from_slice(message_json.as_bytes());
    body.extend_from_slice(ALGORITHM);
    body.extend_from_slice(algorithm.as_str().as_bytes());
    body.extend_from_slice(SIGNATURE);
    body.extend_from_slice(signature.as_bytes());
    body.extend_from_slice(TAIL);
    body.push(b'\n');
    body
}

/// A request body cut apart by position (M is not parsed before it is verified).
#[derive(Debug)]
pub struct SignedRequest<'a> {
    /// The exact bytes of M as they stand in the body.
    pub message: &'a [u8],
    pub algorithm: SignatureAlgorithm,
    pub signature: Vec<u8>,
}

/// Cuts a request body, with or without the trailing `\n`. M runs from after `{"Message":` to
/// the LAST `,"Signature-Algorithm":"` (M's own values may contain that text; the envelope's
/// fields always come last).
pub fn cut_request(body: &[u8]) -> Result<SignedRequest<'_>, WireError> {
    let body = strip_line_end(body);
    check_size(body.len())?;
    let rest = body
        .strip_prefix(HEAD)
        .ok_or_else(|| malformed("request does not start with {\"Message\":"))?;
    let at = rfind(rest, ALGORITHM).ok_or_else(|| malformed("no Signature-Algorithm"))?;
    let message = &rest[..at];
    let after = &rest[at + ALGORITHM.len()..];
    let sig_at = super::find(after, SIGNATURE).ok_or_else(|| malformed("no Signature"))?;
    let algorithm = super::algorithm_from(&after[..sig_at])?;
    let signature = after[sig_at + SIGNATURE.len()..]
        .strip_suffix(TAIL)
        .ok_or_else(|| malformed("request does not end with \"}"))?;
    if message.is_empty() {
        return Err(malformed("empty Message"));
    }
    Ok(SignedRequest {
        message,
        algorithm,
        signature: decode_signature(signature)?,
    })
}

impl SignedRequest<'_> {
    pub fn verify(&self, certificate: &Certificate) -> Result<(), WireError> {
        verify(certificate, self.algorithm, self.message, &self.signature)
    }

    /// M as text (the real client sends UTF-8).
    pub fn message_text(&self) -> Result<&str, WireError> {
        std::str::from_utf8(self.message).map_err(|_| malformed("Message is not UTF-8"))
    }
}
