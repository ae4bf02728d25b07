//! The signed envelopes, byte for byte as ABC's own client writes and reads them.
//! See the protocol page's "Wire format". Everything here is pure: bytes in, bytes out.
//!
//! Every receiver cuts the signed text out *by position* and verifies those exact bytes before
//! anything parses them: re-serialising would change the bytes and break the signature.

mod answer;
mod lenient;
mod notification;
mod request;
mod xml;

pub use answer::{SignedAnswer, build_answer, cut_answer};
pub use lenient::parse_lenient;
pub use notification::{
    MAX_NOTIFICATION_BASE64, SignedNotification, build_notification, cut_notification,
};
pub use request::{SignedRequest, build_request, cut_request};
pub use xml::{xml_escape, xml_field, xml_unescape};

use crate::crypto::{Certificate, SignatureAlgorithm};
use base64::Engine;

/// The bank refuses bodies over this size; so do we, both ways.
pub const MAX_MESSAGE_BYTES: usize = 8_000;

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
