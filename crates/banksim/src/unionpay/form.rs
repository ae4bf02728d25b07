//! UnionPay's message forms as the gateway reads and writes them: a request (and the back
//! notification) is a form-urlencoded body in the charset its `encoding` field names; the
//! synchronous answer is raw `k=v&…`, not URL-encoded, with `signPubKeyCert` (or `certId`)
//! and `signature` after the sorted fields, as UnionPay's gateway writes it.

use std::collections::BTreeMap;

pub const SIGNATURE: &str = "signature";
pub const SIGN_PUB_KEY_CERT: &str = "signPubKeyCert";
pub const CERT_ID: &str = "certId";
pub const ENCODING: &str = "encoding";

/// A request is never near this; refusing earlier keeps a hostile body from costing memory.
pub const MAX_FORM_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("the form is larger than {MAX_FORM_BYTES} bytes")]
    TooLarge,
    #[error("malformed form: {0}")]
    Malformed(String),
    #[error("field {0:?} appears twice")]
    Duplicate(String),
    #[error("encoding {0:?} is not UTF-8 or GBK")]
    UnknownCharset(String),
    #[error("a value is not valid {0}")]
    BadText(&'static str),
}

/// The two charsets the gateway speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Gbk,
}

impl Charset {
    /// The charset an `encoding` value names, UTF-8 when none is named, as the SDKs default.
    pub fn named(encoding: Option<&str>) -> Result<Charset, FormError> {
        match encoding.map(str::to_ascii_uppercase).as_deref() {
            None | Some("UTF-8") | Some("UTF8") => Ok(Charset::Utf8),
            Some("GBK") | Some("GB2312") | Some("GB18030") => Ok(Charset::Gbk),
            Some(_) => Err(FormError::UnknownCharset(
                encoding.unwrap_or_default().to_string(),
            )),
        }
    }

    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Charset::Utf8 => text.as_bytes().to_vec(),
            Charset::Gbk => encoding_rs::GBK.encode(text).0.into_owned(),
        }
    }

    pub fn decode(self, bytes: &[u8]) -> Result<String, FormError> {
        match self {
            Charset::Utf8 => {
                String::from_utf8(bytes.to_vec()).map_err(|_| FormError::BadText("UTF-8"))
            }
            Charset::Gbk => encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|text| text.into_owned())
                .ok_or(FormError::BadText("GBK")),
        }
    }
}

/// A message: field names to values, kept sorted by code point as the string to sign wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message(BTreeMap<String, String>);

impl Message {
    pub fn new() -> Message {
        Message::default()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Empty values are never sent nor signed, so they are not kept.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        if value.is_empty() {
            self.0.remove(key);
        } else {
            self.0.insert(key.to_string(), value);
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.0.remove(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn charset(&self) -> Result<Charset, FormError> {
        Charset::named(self.get(ENCODING))
    }

    /// Every field but `signature`, sorted, joined raw: what all four sign methods sign.
    pub fn string_to_sign(&self) -> String {
        self.0
            .iter()
            .filter(|(k, _)| k.as_str() != SIGNATURE)
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Reads a form body: percent-decoded bytes first, then the values in the charset the
/// `encoding` field names (it is ASCII, so it can be read before the charset is known).
pub fn decode_form(body: &[u8]) -> Result<Message, FormError> {
    if body.len() > MAX_FORM_BYTES {
        return Err(FormError::TooLarge);
    }
    let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let key = String::from_utf8(percent_decode(key)?)
            .map_err(|_| FormError::Malformed("a field name is not text".to_string()))?;
        raw.push((key, percent_decode(value)?));
    }
    let encoding = raw
        .iter()
        .find(|(k, _)| k == ENCODING)
        .map(|(_, v)| String::from_utf8_lossy(v).into_owned());
    let charset = Charset::named(encoding.as_deref())?;
    let mut message = Message::new();
    for (key, value) in raw {
        if message.get(&key).is_some() {
            return Err(FormError::Duplicate(key));
        }
        // The SDKs trim before signing; a merchant's handler drops empty fields.
        message.set(&key, charset.decode(&value)?.trim());
    }
    Ok(message)
}

fn percent_decode(bytes: &[u8]) -> Result<Vec<u8>, FormError> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(index + 1..index + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| FormError::Malformed("bad percent escape".to_string()))?;
                out.push(hex);
                index += 2;
            }
            other => out.push(other),
        }
        index += 1;
    }
    Ok(out)
}

/// A form body: every field, sorted, URL-encoded in `charset` (a request, or a back
/// notification as UnionPay posts it, `signPubKeyCert` and `signature` in sort order too).
pub fn encode_form(message: &Message, charset: Charset) -> Vec<u8> {
    message
        .iter()
        .map(|(k, v)| {
            let value: String = form_urlencoded::byte_serialize(&charset.encode(v)).collect();
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&")
        .into_bytes()
}

/// The synchronous answer: sorted fields raw, then the certificate field, then `signature`.
pub fn encode_answer(message: &Message, charset: Charset) -> Vec<u8> {
    let trailing = [SIGN_PUB_KEY_CERT, CERT_ID, SIGNATURE];
    let mut parts: Vec<String> = message
        .iter()
        .filter(|(k, _)| !trailing.contains(k))
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for key in trailing {
        if let Some(value) = message.get(key) {
            parts.push(format!("{key}={value}"));
        }
    }
    charset.encode(&parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gbk_form_reads_back() {
        let mut message = Message::new();
        message.set("encoding", "GBK");
        message.set("respMsg", "成功 [0000000]");
        message.set("empty", "");
        let body = encode_form(&message, Charset::Gbk);
        assert_eq!(decode_form(&body), Ok(message));
    }

    #[test]
    fn the_answer_ends_with_certificate_and_signature() {
        let mut message = Message::new();
        message.set("signature", "S");
        message.set(SIGN_PUB_KEY_CERT, "C");
        message.set("a", "{x=1&y=2}");
        message.set("z", "1");
        let body = encode_answer(&message, Charset::Utf8);
        assert_eq!(body, b"a={x=1&y=2}&z=1&signPubKeyCert=C&signature=S");
    }

    #[test]
    fn twice_named_fields_and_bad_escapes_are_refused() {
        assert!(matches!(
            decode_form(b"a=1&a=2"),
            Err(FormError::Duplicate(_))
        ));
        assert!(matches!(
            decode_form(b"a=%G1"),
            Err(FormError::Malformed(_))
        ));
    }
}
