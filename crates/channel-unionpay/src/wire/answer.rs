//! The synchronous answer: `key=value&key=value…` in the request's charset, NOT URL-encoded.
//! Values are raw (`respMsg=成功[0000000]`, base64 with `+` `/` `=`, a PEM block with CR LF),
//! and a value in `{…}` or `[…]` is kept whole: a `&` or `=` inside does not split it
//! (`reqReserved={a=aaa&b=bbb}`). This is the SDKs' `parseQString`, which the newer SDK warns
//! must not be replaced by a URL-decoding parser.

use super::{WireError, check_size};
use crate::charset::Charset;
use crate::fields::Fields;

/// Reads an answer body. It is decoded to text first: in GBK, `[ ] { }` can be the second
/// byte of a character, so brackets are only found in decoded text (`&` and `=` cannot).
pub fn parse_answer(body: &[u8], charset: Charset) -> Result<Fields, WireError> {
    check_size(body.len())?;
    let text = charset.decode(body)?;
    let mut fields = Fields::new();
    for (key, value) in split_pairs(&text)? {
        if key.is_empty() {
            return Err(WireError::Malformed("a field without a name".to_string()));
        }
        if fields
            .insert_received(key.to_string(), value.to_string())
            .is_some()
        {
            return Err(WireError::DuplicateField(key.to_string()));
        }
    }
    Ok(fields)
}

/// Splits into `(key, value)` pairs: the key runs to the first `=`, the value to the next `&`
/// outside brackets. A bracket opened is closed by the first matching close (brackets do
/// not nest, exactly as in the SDKs). Empty segments (a trailing `&`) are skipped; a segment
/// without `=` is malformed (the SDKs would glue it to the next key).
fn split_pairs(text: &str) -> Result<Vec<(&str, &str)>, WireError> {
    let mut pairs = Vec::new();
    let mut segment_start = 0;
    let mut key_end: Option<usize> = None;
    let mut closing: Option<char> = None;
    for (at, ch) in text.char_indices() {
        let Some(equals) = key_end else {
            if ch == '=' {
                key_end = Some(at);
            } else if ch == '&' {
                if at > segment_start {
                    return Err(no_value(text, segment_start, at));
                }
                segment_start = at + 1;
            }
            continue;
        };
        match closing {
            Some(close) if ch == close => closing = None,
            Some(_) => {}
            None => match ch {
                '{' => closing = Some('}'),
                '[' => closing = Some(']'),
                '&' => {
                    pairs.push(pair(text, segment_start, equals, at));
                    segment_start = at + 1;
                    key_end = None;
                }
                _ => {}
            },
        }
    }
    match key_end {
        Some(equals) => pairs.push(pair(text, segment_start, equals, text.len())),
        None if segment_start < text.len() => {
            return Err(no_value(text, segment_start, text.len()));
        }
        None => {}
    }
    Ok(pairs)
}

fn pair(text: &str, start: usize, equals: usize, end: usize) -> (&str, &str) {
    (
        text.get(start..equals).unwrap_or_default(),
        text.get(equals + 1..end).unwrap_or_default(),
    )
}

fn no_value(text: &str, start: usize, end: usize) -> WireError {
    let segment: String = text
        .get(start..end)
        .unwrap_or_default()
        .chars()
        .take(40)
        .collect();
    WireError::Malformed(format!("{segment:?} has no `=`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_keep_separators_inside_a_value() {
        let body = "reqReserved={a=aaa&b=bbb&c=ccc}&list=[x&y]&respMsg=成功[0000000]&sig=ab+/c==";
        let fields = parse_answer(body.as_bytes(), Charset::Utf8).unwrap();
        assert_eq!(fields.get("reqReserved"), Some("{a=aaa&b=bbb&c=ccc}"));
        assert_eq!(fields.get("list"), Some("[x&y]"));
        assert_eq!(fields.get("respMsg"), Some("成功[0000000]"));
        assert_eq!(fields.get("sig"), Some("ab+/c=="));
    }

    #[test]
    fn values_are_not_url_decoded_and_crlf_is_kept() {
        let body = "a=%41+b&signPubKeyCert=-----BEGIN\r\nX\r\n-----END&";
        let fields = parse_answer(body.as_bytes(), Charset::Utf8).unwrap();
        assert_eq!(fields.get("a"), Some("%41+b"));
        assert_eq!(
            fields.get("signPubKeyCert"),
            Some("-----BEGIN\r\nX\r\n-----END")
        );
    }

    #[test]
    fn gbk_trail_bytes_that_look_like_brackets_do_not_open_a_value() {
        // 乕 is 0x81 0x5B in GBK (the trail byte is `[`), 亄 is 0x81 0x7B (`{`).
        let text = "respMsg=乕亄&respCode=00";
        let bytes = Charset::Gbk.encode(text).unwrap();
        assert!(bytes.contains(&b'['));
        let fields = parse_answer(&bytes, Charset::Gbk).unwrap();
        assert_eq!(fields.get("respMsg"), Some("乕亄"));
        assert_eq!(fields.get("respCode"), Some("00"));
    }

    #[test]
    fn malformed_answers_are_refused() {
        assert!(parse_answer(b"=x", Charset::Utf8).is_err());
        assert!(parse_answer(b"a=1&a=2", Charset::Utf8).is_err());
        assert!(parse_answer(&[0xff, b'=', b'1'], Charset::Utf8).is_err());
        assert!(parse_answer(b"flag&b=1", Charset::Utf8).is_err());
        assert!(parse_answer(b"a=1&flag", Charset::Utf8).is_err());
        let fields = parse_answer(b"&a=1&&b=&", Charset::Utf8).unwrap();
        assert_eq!(fields.get("a"), Some("1"));
        assert_eq!(fields.get("b"), Some(""));
    }
}
