//! Platform → merchant: one GBK line `{"MSG":{"Message":M,"Signature-Algorithm":A,"Signature":S}}\n`,
//! S over the GBK bytes of M.

use super::{Envelope, WireError, check_size, gbk_decode, gbk_encode, strip_line_end, verify};
use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};

const ENVELOPE: Envelope = Envelope {
    head: b"{\"MSG\":{\"Message\":",
    algorithm: b",\"Signature-Algorithm\":\"",
    signature: b"\",\"Signature\":\"",
    tail: b"\"}}",
    name: "answer",
};

/// Platform → merchant answer: one GBK line `{"MSG":{"Message":M,"Signature-Algorithm":A,"Signature":S}}`
/// followed by `\n`. S signs the GBK bytes of M. `message_json` must be readable by the real
/// client's naive scanner (no spaces, no `}` inside values, no escapes).
pub fn build_answer(
    message_json: &str,
    key: &PrivateKey,
    algorithm: SignatureAlgorithm,
) -> Vec<u8> {
    let message = gbk_encode(message_json);
    let mut body = ENVELOPE.seal(&message, &message, key, algorithm);
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
    let parts = ENVELOPE.cut(body)?;
    Ok(SignedAnswer {
        message: gbk_decode(parts.message)?,
        message_gbk: parts.message.to_vec(),
        algorithm: parts.algorithm,
        signature: parts.signature,
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

/// An answer cut apart without copying or decoding M: for statement answers, which carry a
/// whole file and can be most of a gigabyte.
#[derive(Debug)]
pub struct SignedAnswerRef<'a> {
    /// The exact GBK bytes of M, as signed, borrowed from the body.
    pub message_gbk: &'a [u8],
    /// Where M starts in the body.
    pub message_offset: usize,
    pub algorithm: SignatureAlgorithm,
    pub signature: Vec<u8>,
}

/// Cuts an answer body of up to `max_bytes` (rather than the ordinary [`super::MAX_MESSAGE_BYTES`]).
pub fn cut_large_answer(body: &[u8], max_bytes: usize) -> Result<SignedAnswerRef<'_>, WireError> {
    let body = strip_line_end(body);
    if body.len() > max_bytes {
        return Err(WireError::TooLarge);
    }
    let parts = ENVELOPE.cut(body)?;
    Ok(SignedAnswerRef {
        message_gbk: parts.message,
        message_offset: ENVELOPE.head.len(),
        algorithm: parts.algorithm,
        signature: parts.signature,
    })
}

impl SignedAnswerRef<'_> {
    /// The signature covers M's bytes whatever their size: a statement is believed only whole.
    pub fn verify(&self, certificate: &Certificate) -> Result<(), WireError> {
        verify(
            certificate,
            self.algorithm,
            self.message_gbk,
            &self.signature,
        )
    }
}
