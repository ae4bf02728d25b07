//! `application/x-www-form-urlencoded`: requests the merchant posts, and the back
//! notifications UnionPay posts (values URL-encoded, `+` for space, `%0D%0A` for the CR LF
//! inside `signPubKeyCert`).

use super::{WireError, check_size};
use crate::charset::Charset;
use crate::fields::Fields;

/// The request body: `key=URLEncode(value)` joined by `&`, values encoded in `charset` first.
/// Java's `URLEncoder` (the SDK's) and `form_urlencoded` agree byte for byte: they keep
/// `[A-Za-z0-9.*_-]`, write space as `+` and everything else as upper-case `%XX`.
pub fn encode_form(fields: &Fields, charset: Charset) -> Result<Vec<u8>, WireError> {
    let mut body = String::new();
    for (key, value) in fields.iter() {
        if !body.is_empty() {
            body.push('&');
        }
        body.extend(form_urlencoded::byte_serialize(key.as_bytes()));
        body.push('=');
        body.extend(form_urlencoded::byte_serialize(&charset.encode(value)?));
    }
    Ok(body.into_bytes())
}

/// Reads a form body into fields. The charset is the one the body's own `encoding` field
/// names (an ASCII value, found before anything else is decoded), UTF-8 when it has none.
/// Empty values are dropped, as the SDKs' handlers drop them before verifying.
pub fn decode_form(body: &[u8]) -> Result<Fields, WireError> {
    check_size(body.len())?;
    let mut pairs = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        let (key, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        pairs.push((percent_decode(key)?, percent_decode(value)?));
    }
    let charset = pairs
        .iter()
        .find(|(key, _)| key.as_slice() == b"encoding")
        .map(|(_, value)| Charset::parse(&String::from_utf8_lossy(value)))
        .transpose()?
        .unwrap_or_default();
    let mut fields = Fields::new();
    for (key, value) in pairs {
        let key = charset.decode(&key)?;
        if key.is_empty() {
            return Err(WireError::Malformed("a field without a name".to_string()));
        }
        if value.is_empty() {
            continue;
        }
        let value = charset.decode(&value)?;
        if fields.insert_received(key.clone(), value).is_some() {
            return Err(WireError::DuplicateField(key));
        }
    }
    Ok(fields)
}

/// `+` is space, `%XX` a byte; a `%` not followed by two hex digits is malformed.
fn percent_decode(text: &[u8]) -> Result<Vec<u8>, WireError> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.iter().copied();
    while let Some(byte) = bytes.next() {
        match byte {
            b'+' => out.push(b' '),
            b'%' => {
                let high = bytes.next().and_then(hex_value);
                let low = bytes.next().and_then(hex_value);
                match (high, low) {
                    (Some(high), Some(low)) => out.push(high << 4 | low),
                    _ => return Err(WireError::Malformed("a bad %-escape".to_string())),
                }
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn hex_value(byte: u8) -> Option<u8> {
    (byte as char)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_as_java_urlencoder_does() {
        let fields: Fields = [
            ("frontUrl", "http://a/b?c=d"),
            ("reqReserved", "{a=1&b=2} *x~"),
            ("subject", "成功"),
        ]
        .into_iter()
        .collect();
        let body = String::from_utf8(encode_form(&fields, Charset::Utf8).unwrap()).unwrap();
        assert_eq!(
            body,
            "frontUrl=http%3A%2F%2Fa%2Fb%3Fc%3Dd&reqReserved=%7Ba%3D1%26b%3D2%7D+*x%7E\
             &subject=%E6%88%90%E5%8A%9F"
        );
        let gbk = String::from_utf8(encode_form(&fields, Charset::Gbk).unwrap()).unwrap();
        assert!(gbk.ends_with("subject=%B3%C9%B9%A6"));
    }

    #[test]
    fn decodes_in_the_charset_the_body_names() {
        let body = b"respMsg=%B3%C9%B9%A6&encoding=GBK&empty=&cert=a%0D%0Ab+c";
        let fields = decode_form(body).unwrap();
        assert_eq!(fields.get("respMsg"), Some("成功"));
        assert_eq!(fields.get("cert"), Some("a\r\nb c"));
        assert!(!fields.contains("empty"));
    }

    #[test]
    fn round_trips_and_refuses_bad_input() {
        let fields: Fields = [("encoding", "UTF-8"), ("x", "a+b=c&d%")]
            .into_iter()
            .collect();
        let body = encode_form(&fields, Charset::Utf8).unwrap();
        assert_eq!(decode_form(&body).unwrap(), fields);
        assert!(matches!(decode_form(b"a=%4"), Err(WireError::Malformed(_))));
        assert!(matches!(
            decode_form(b"a=1&a=2"),
            Err(WireError::DuplicateField(_))
        ));
        assert!(decode_form(b"encoding=EBCDIC&a=1").is_err());
    }
}
