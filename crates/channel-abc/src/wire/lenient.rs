//! Lenient JSON, for reading M after its signature verified: the real client's Refund message
//! has a trailing comma and one `}` too many, and the real platform accepts it.

use super::{WireError, check_size, malformed};

/// Parses M leniently, as the real platform does: tolerates the real client's trailing commas,
/// a surplus closing brace, and unescaped control characters inside strings. Call only after
/// verifying.
pub fn parse_lenient(message: &[u8]) -> Result<serde_json::Value, WireError> {
    check_size(message.len())?;
    parse_repaired(message)
}

/// [`parse_lenient`] for the few messages allowed past the ordinary size (a BatchRefund, a
/// QueryBatchRefund answer), up to `max_bytes`.
pub fn parse_lenient_large(
    message: &[u8],
    max_bytes: usize,
) -> Result<serde_json::Value, WireError> {
    if message.len() > max_bytes {
        return Err(WireError::TooLarge);
    }
    parse_repaired(message)
}

fn parse_repaired(message: &[u8]) -> Result<serde_json::Value, WireError> {
    let repaired = repair(message);
    let mut stream =
        serde_json::Deserializer::from_slice(&repaired).into_iter::<serde_json::Value>();
    let value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(err)) => return Err(WireError::Malformed(format!("Message is not JSON: {err}"))),
        None => return Err(malformed("empty Message")),
    };
    // After the first complete value only surplus closers (and whitespace) may follow.
    let rest = &repaired[stream.byte_offset()..];
    if !rest
        .iter()
        .all(|b| b.is_ascii_whitespace() || *b == b'}' || *b == b']')
    {
        return Err(malformed("data after the Message object"));
    }
    Ok(value)
}

/// Drops commas that stand before `}` or `]` outside strings, and escapes raw control
/// characters inside strings. Multi-byte UTF-8 passes through untouched (all its bytes are
/// 0x80 and above, so they never look like JSON punctuation).
fn repair(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in input.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
                out.push(b);
            } else if b == b'\\' {
                escaped = true;
                out.push(b);
            } else if b == b'"' {
                in_string = false;
                out.push(b);
            } else if b < 0x20 {
                out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
            } else {
                out.push(b);
            }
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
