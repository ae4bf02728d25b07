//! The signed envelopes, byte for byte as ABC's platform writes them and its merchant client
//! (TrustPayClient V3.1.4) writes and reads them. The simulator's own code: it shares with
//! `unipay-channel-abc` only the RSA/X.509 primitives (`crypto`), so that a misreading of the
//! wire on either side shows up as a disagreement instead of being shared by both.
//!
//! - [`request`]: merchant → platform, cut by position and verified over M's exact bytes;
//!   [`lenient`] then reads M as the platform does (the client's Refund is not valid JSON).
//! - [`answer`]: platform → merchant, the JSON answer signed over its GBK bytes.
//! - [`notification`]: the XML result message, signed over its GB2312 bytes ([`gb2312`]).
//! - [`names`]: every field name and code the simulator writes that the SDK does not confirm.

pub mod answer;
pub mod gb2312;
pub mod json;
pub mod lenient;
pub mod names;
pub mod notification;
pub mod request;
pub mod xml;

use base64::Engine;

/// The platform refuses request bodies over this size (without the trailing line end), for
/// every TrxType: the real client refuses to send them (`1101 报文长度超过8000Bytes`).
pub const MAX_MESSAGE_BYTES: usize = 8_000;

/// Position of the first occurrence of `needle` in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len()).find(|&i| haystack[i..].starts_with(needle))
}

/// Position of the last occurrence of `needle` in `haystack`.
pub(crate) fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..].starts_with(needle))
}

/// Standard padded base64, one line, as Java's encoder writes the signature.
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The GBK bytes of `text`. Callers keep out what GBK lacks (see [`gbk_only`]); should some
/// remain, encoding_rs writes it as `&#NNNN;`, and we sign exactly the bytes we send.
pub(crate) fn gbk_encode(text: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    bytes.into_owned()
}

/// `text` without what GBK cannot carry (emoji, say) and without control characters: the
/// merchant's free text (remarks) is the only source of either.
pub fn gbk_only(text: &str) -> String {
    let mut buffer = [0u8; 4];
    text.chars()
        .filter(|c| !c.is_control())
        .filter(|c| c.is_ascii() || !encoding_rs::GBK.encode(c.encode_utf8(&mut buffer)).2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_first_and_last() {
        assert_eq!(find(b"abcabc", b"bc"), Some(1));
        assert_eq!(rfind(b"abcabc", b"bc"), Some(4));
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(rfind(b"", b"a"), None);
    }

    #[test]
    fn keeps_only_what_gbk_carries() {
        assert_eq!(gbk_only("a<b>&备注😀\n喆"), "a<b>&备注喆");
    }
}
