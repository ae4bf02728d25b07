//! Merchant → platform: `{"Message":M,"Signature-Algorithm":A,"Signature":S}\n`, S over UTF-8 M.

use super::{Envelope, WireError, check_size, malformed, strip_line_end, verify};
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

const ENVELOPE: Envelope = Envelope {
    head: b"{\"Message\":",
    algorithm: b",\"Signature-Algorithm\":\"",
    signature: b"\",\"Signature\":\"",
    tail: b"\"}",
    name: "request",
};

/// Merchant → platform request body: `{"Message":M,"Signature-Algorithm":A,"Signature":S}` plus
/// the trailing `\n` the real client sends. `message_json` is M: compact JSON text, already in
/// the protocol's key order. S signs the UTF-8 bytes of M.
pub fn build_request(
    message_json: &str,
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
) -> Vec<u8> {
    let message = message_json.as_bytes();
    let mut body = ENVELOPE.seal(message, message, key, algorithm);
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
    let parts = ENVELOPE.cut(body)?;
    Ok(SignedRequest {
        message: parts.message,
        algorithm: parts.algorithm,
        signature: parts.signature,
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
