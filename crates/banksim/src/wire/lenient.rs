//! Reads a verified M as the platform does, which is more forgiving than JSON: the real
//! client's Refund message ends `"MerchantRemarks":"退款测试",}}}` (a trailing comma and one
//! `}` too many), and the platform accepts it. Call only after the signature verified.

use serde_json::Value;

/// M parsed, tolerating commas before `}`/`]`, surplus closers after the object, and raw
/// control characters inside strings; `None` for anything else that is not JSON.
pub fn parse(message: &[u8]) -> Option<Value> {
    let repaired = repair(message);
    let mut stream = serde_json::Deserializer::from_slice(&repaired).into_iter::<Value>();
    let value = stream.next()?.ok()?;
    let rest = &repaired[stream.byte_offset()..];
    let only_closers = rest
        .iter()
        .all(|b| b.is_ascii_whitespace() || *b == b'}' || *b == b']');
    only_closers.then_some(value)
}

/// Drops commas that stand before `}` or `]` outside strings and escapes raw control
/// characters inside strings. UTF-8 continuation bytes are all 0x80 and above, so they never
/// look like punctuation.
fn repair(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in input.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            } else if b < 0x20 {
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
                continue;
            }
            out.push(b);
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b',' => {
                let next = input[i + 1..].iter().find(|c| !c.is_ascii_whitespace());
                if !matches!(next, Some(b'}') | Some(b']')) {
                    out.push(b);
                }
            }
            _ => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_clients_refund() {
        let value = parse(
            r#"{"TrxRequest":{"TrxType":"Refund","MerchantRemarks":"退款测试",}}}"#.as_bytes(),
        );
        let remarks = value
            .as_ref()
            .and_then(|v| v["TrxRequest"]["MerchantRemarks"].as_str());
        assert_eq!(remarks, Some("退款测试"));
    }

    #[test]
    fn keeps_commas_inside_strings_and_refuses_garbage() {
        let value = parse(br#"{"a":"x,}","b":[1,2,],}"#);
        assert_eq!(value.as_ref().and_then(|v| v["a"].as_str()), Some("x,}"));
        assert!(parse(b"{\"a\":\"1\"} x").is_none());
        assert!(parse(b"").is_none());
        assert!(parse(b"{\"a\":").is_none());
    }

    #[test]
    fn escapes_raw_control_characters() {
        let value = parse(b"{\"a\":\"x\ty\"}");
        assert_eq!(value.as_ref().and_then(|v| v["a"].as_str()), Some("x\ty"));
    }
}
