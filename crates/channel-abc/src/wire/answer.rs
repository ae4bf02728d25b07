//! Platform → merchant: one GBK line `{"MSG":{"Message":M,"Signature-Algorithm":A,"Signature":S}}\n`,
//! S over the GBK bytes of M.

use super::{
    WireError, check_size, decode_signature, encode_signature, gbk_decode, gbk_encode, malformed,
    rfind, strip_line_end, verify,
};
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

const HEAD: &[u8] = b"{\"MSG\":{\"Message\":";
const ALGORITHM: &[u8] = b",\"Signature-Algorithm\":\"";
const SIGNATURE: &[u8] = b"\",\"Signature\":\"";
const TAIL: &[u8] = b"\"}}";

/// Platform → merchant answer: one GBK line `{"MSG":{"Message":M,"Signature-Algorithm":A,"Signature":S}}`
/// followed by `\n`. S signs the GBK bytes of M. `message_json` must be readable by the real
/// client's naive scanner (no spaces, no `}` inside values, no escapes).
pub fn build_answer(
    message_json: &str,
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
) -> Vec<u8> {
    let message = gbk_encode(message_json);
    let signature = encode_signature(&key.sign(algorithm, &message));
    let mut body = Vec::with_capacity(message.len() + signature.len() + 64);
    body.extend_from_slice(HEAD);
    body.extend_from_slice(&message);
    body.extend_from_slice(ALGORITHM);
    body.extend_from_slice(algorithm.as_str().as_bytes());
    body.extend_from_slice(SIGNATURE);
    body.extend_from_slice(signature.as_bytes());
    body.extend_from_slice(TAIL);
    body.push(b'\n');
    body
}

#[derive(Debug)]
pub struct SignedAnswer {
    /// M decoded from GBK to text.
    pub message: String,
    /// The exact GBK bytes of M, as signed.
    pub message_gbk: Vec<u8>,
    pub algorithm: SignatureAlgorithm,
    pub signature: Vec<u8>,
}

/// Cuts an answer body (the HTTP body, GBK bytes, with or without its line end).
///
/// Searching GBK bytes for ASCII delimiters is safe: GBK trail bytes are 0x40 and above, so
/// `,` and `"` (below 0x40) always stand for themselves and anchor each pattern.
pub fn cut_answer(body: &[u8]) -> Result<SignedAnswer, WireError> {
    let body = strip_line_end(body);
    check_size(body.len())?;
    let rest = body
        .strip_prefix(HEAD)
        .ok_or_else(|| malformed("answer does not start with {\"MSG\":{\"Message\":"))?;
    let at = rfind(rest, ALGORITHM).ok_or_else(|| malformed("no Signature-Algorithm"))?;
    let message_gbk = rest[..at].to_vec();
    let after = &rest[at + ALGORITHM.len()..];
    let sig_at = super::find(after, SIGNATURE).ok_or_else(|| malformed("no Signature"))?;
    let algorithm = super::algorithm_from(&after[..sig_at])?;
    let signature = after[sig_at + SIGNATURE.len()..]
        .strip_suffix(TAIL)
        .ok_or_else(|| malformed("answer does not end with \"}}"))?;
    if message_gbk.is_empty() {
        return Err(malformed("empty Message"));
    }
    Ok(SignedAnswer {
        message: gbk_decode(&message_gbk)?,
        message_gbk,
        algorithm,
        signature: decode_signature(signature)?,
    })
}

impl SignedAnswer {
    pub fn verify(&self, certificate: &Certificate) -> Result<(), WireError> {
        verify(
            certificate,
            self.algorithm,
            &self.message_gbk,
            &self.signature,
        )
    }
}
