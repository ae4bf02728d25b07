//! The signed envelopes, byte for byte as ABC's own client writes and reads them.
//! See the protocol page's "Wire format". Everything here is pure: bytes in, bytes out.
//!
//! Every receiver cuts the signed text out *by position* and verifies those exact bytes before
//! anything parses them: re-serialising would change the bytes and break the signature.

mod answer;
mod gb2312;
mod lenient;
mod notification;
mod request;
mod xml;

pub use answer::{SignedAnswer, SignedAnswerRef, build_answer, cut_answer, cut_large_answer};
pub use gb2312::gb2312_signed_bytes;
pub use lenient::{parse_lenient, parse_lenient_large};
pub use notification::{
    MAX_NOTIFICATION_BASE64, SignedNotification, build_notification, cut_notification,
};
pub use request::{SignedRequest, build_request, cut_request};
pub use xml::{xml_escape, xml_field, xml_unescape};

use crate::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use base64::Engine;

/// The bank refuses bodies over this size; so do we, both ways.
pub const MAX_MESSAGE_BYTES: usize = 8_000;

/// Except for statement answers (Settle, QueryTrnxRecords), which carry a whole day's file.
pub const MAX_STATEMENT_ANSWER_BYTES: usize = 1 << 30;

/// A QueryTrnxRecords answer is asked for by a merchant's API call, some hours of a day at a
/// time, not by the books' nightly fetch: it is bounded far below a day's file, so that a call
/// cannot make the node hold a gigabyte.
pub const MAX_TRNX_RECORDS_ANSWER_BYTES: usize = 64 << 20;

/// And for a QueryBatchRefund answer, which lists every line of the batch: 10,000 lines at
/// their longest are about 3 MB; twice that and more is left for the platform's own wording.
pub const MAX_BATCH_ANSWER_BYTES: usize = 16 << 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
    #[error("message too large")]
    TooLarge,
    #[error("malformed envelope: {0}")]
    Malformed(String),
    #[error("unknown signature algorithm {0:?}")]
    UnknownAlgorithm(String),
    #[error("signature does not verify")]
    BadSignature,
}

/// The fixed text around the three parts of a signed envelope: `head M algorithm A signature S
/// tail`. Requests, answers and notifications differ only in these markers (and in how M is
/// encoded before it is placed here).
struct Envelope {
    head: &'static [u8],
    algorithm: &'static [u8],
    signature: &'static [u8],
    tail: &'static [u8],
    /// For error messages: "request", "answer", "notification".
    name: &'static str,
}

/// An envelope cut apart by position.
struct Parts<'a> {
    message: &'a [u8],
    algorithm: SignatureAlgorithm,
    signature: Vec<u8>,
}

impl Envelope {
    /// `message` wrapped in the markers, with the signature of `signed` (the message itself,
    /// or for a notification its GB2312 form).
    fn seal(
        &self,
        message: &[u8],
        signed: &[u8],
        key: &PrivateKey,
        algorithm: SignatureAlgorithm,
    ) -> Vec<u8> {
        let signature = encode_signature(&key.sign(algorithm, signed));
        let mut out = Vec::with_capacity(message.len() + signature.len() + 96);
        out.extend_from_slice(self.head);
        out.extend_from_slice(message);
        out.extend_from_slice(self.algorithm);
        out.extend_from_slice(algorithm.as_str().as_bytes());
        out.extend_from_slice(self.signature);
        out.extend_from_slice(signature.as_bytes());
        out.extend_from_slice(self.tail);
        out
    }

    /// Cuts by position, without parsing M: M runs to the LAST algorithm marker (M's own values
    /// may contain that text; the envelope's fields always come last). Searching GBK bytes for
    /// the ASCII markers is safe: GBK trail bytes are 0x40 and above, so `,` `"` `<` (below
    /// 0x40) always stand for themselves.
    fn cut<'a>(&self, bytes: &'a [u8]) -> Result<Parts<'a>, WireError> {
        let rest = bytes.strip_prefix(self.head).ok_or_else(|| {
            WireError::Malformed(format!("{} does not start as it should", self.name))
        })?;
        let at = rfind(rest, self.algorithm).ok_or_else(|| malformed("no Signature-Algorithm"))?;
        let message = &rest[..at];
        let after = &rest[at + self.algorithm.len()..];
        let sig_at = find(after, self.signature).ok_or_else(|| malformed("no Signature"))?;
        let algorithm = algorithm_from(&after[..sig_at])?;
        let signature = after[sig_at + self.signature.len()..]
            .strip_suffix(self.tail)
            .ok_or_else(|| {
                WireError::Malformed(format!("{} does not end as it should", self.name))
            })?;
        if message.is_empty() {
            return Err(malformed("empty Message"));
        }
        Ok(Parts {
            message,
            algorithm,
            signature: decode_signature(signature)?,
        })
    }
}

fn malformed(what: &str) -> WireError {
    WireError::Malformed(what.to_string())
}

fn check_size(len: usize) -> Result<(), WireError> {
    if len > MAX_MESSAGE_BYTES {
        return Err(WireError::TooLarge);
    }
    Ok(())
}

fn algorithm_from(bytes: &[u8]) -> Result<SignatureAlgorithm, WireError> {
    let text = String::from_utf8_lossy(bytes);
    SignatureAlgorithm::parse(&text).ok_or_else(|| WireError::UnknownAlgorithm(text.into_owned()))
}

/// The signature value: standard base64. Line breaks inside it (some Java encoders wrap at 76)
/// are dropped; that is safe because the signature, unlike the message, is not what is signed.
fn decode_signature(bytes: &[u8]) -> Result<Vec<u8>, WireError> {
    let compact: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if compact.is_empty() {
        return Err(malformed("empty signature"));
    }
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| malformed("signature is not base64"))
}

fn encode_signature(signature: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(signature)
}

fn verify(
    certificate: &Certificate,
    algorithm: SignatureAlgorithm,
    data: &[u8],
    signature: &[u8],
) -> Result<(), WireError> {
    certificate
        .verify(algorithm, data, signature)
        .map_err(|_| WireError::BadSignature)
}

/// Position of the last occurrence of `needle` in `haystack`.
fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..].starts_with(needle))
}

/// Position of the first occurrence of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len()).find(|&i| haystack[i..].starts_with(needle))
}

/// Drops one trailing `\n` (or `\r\n`): the real client appends it and reads answers by line.
fn strip_line_end(body: &[u8]) -> &[u8] {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    body.strip_suffix(b"\r").unwrap_or(body)
}

fn gbk_encode(text: &str) -> Vec<u8> {
    // encoding_rs writes characters GBK lacks as `&#NNNN;`: the bytes stay consistent with
    // the signature, because we sign exactly the bytes we send.
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    bytes.into_owned()
}

fn gbk_decode(bytes: &[u8]) -> Result<String, WireError> {
    encoding_rs::GBK
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|text| text.into_owned())
        .ok_or_else(|| malformed("text is not valid GBK"))
}

#[cfg(test)]
mod tests;
