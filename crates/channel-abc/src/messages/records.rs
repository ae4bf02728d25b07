//! Cutting the statement file out of a statement answer's M by position.
//!
//! The file travels inside M as one JSON string (`DetailRecords` or `ZIPDetailRecords`) and can
//! be most of a gigabyte. Reading M with serde would copy it several times over, so the two
//! values are found by scanning M once and left out; the rest of M, a few hundred bytes, is
//! read as usual. M is GBK: `"` and `:` are below 0x40 and so never the second byte of a
//! character, but `\` (0x5C) can be, so the scan steps over two-byte characters.

use super::MessageError;
use std::ops::Range;

/// The members that carry the file.
pub const DETAIL_RECORDS: &str = "DetailRecords";
pub const ZIP_DETAIL_RECORDS: &str = "ZIPDetailRecords";

/// A statement answer's M with the file's values cut out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarvedMessage {
    /// M with both values emptied (`"DetailRecords":""`): small enough to read with serde.
    pub head: Vec<u8>,
    /// Where the value of `DetailRecords` stands in M (between its quotes), when present.
    pub detail_records: Option<Range<usize>>,
    /// Where the value of `ZIPDetailRecords` stands in M, when present.
    pub zip_detail_records: Option<Range<usize>>,
}

/// Scans M (GBK bytes) for the two members and cuts their values out.
pub fn carve_records(message: &[u8]) -> Result<CarvedMessage, MessageError> {
    let mut detail = None;
    let mut zip = None;
    let mut at = 0;
    while let Some(open) = message
        .get(at..)
        .and_then(|rest| rest.iter().position(|&b| b == b'"'))
        .map(|i| at + i)
    {
        let close = string_end(message, open + 1)?;
        at = close + 1;
        let after_key = skip_space(message, at);
        if message.get(after_key) != Some(&b':') {
            continue;
        }
        let slot = match message.get(open + 1..close) {
            Some(name) if name == DETAIL_RECORDS.as_bytes() => &mut detail,
            Some(name) if name == ZIP_DETAIL_RECORDS.as_bytes() => &mut zip,
            _ => continue,
        };
        let value_open = skip_space(message, after_key + 1);
        if message.get(value_open) != Some(&b'"') {
            // Not a string (null, say): left for serde to judge.
            continue;
        }
        let value_close = string_end(message, value_open + 1)?;
        if slot.is_some() {
            return Err(MessageError::Unreadable(
                "the statement's records appear twice".to_string(),
            ));
        }
        *slot = Some(value_open + 1..value_close);
        at = value_close + 1;
    }
    let mut cuts: Vec<&Range<usize>> = [&detail, &zip].into_iter().flatten().collect();
    cuts.sort_by_key(|r| r.start);
    let mut head = Vec::with_capacity(1024);
    let mut from = 0;
    for cut in cuts {
        head.extend_from_slice(message.get(from..cut.start).unwrap_or_default());
        from = cut.end;
    }
    head.extend_from_slice(message.get(from..).unwrap_or_default());
    Ok(CarvedMessage {
        head,
        detail_records: detail,
        zip_detail_records: zip,
    })
}

/// The position of the `"` closing the string whose text starts at `at`.
fn string_end(message: &[u8], mut at: usize) -> Result<usize, MessageError> {
    loop {
        match message.get(at) {
            Some(b'"') => return Ok(at),
            // An escape, or a two-byte GBK character: the next byte is taken with it.
            Some(b'\\' | 0x81..=0xFF) => at += 2,
            Some(_) => at += 1,
            None => {
                return Err(MessageError::Unreadable(
                    "a string in the answer never ends".to_string(),
                ));
            }
        }
    }
}

fn skip_space(message: &[u8], mut at: usize) -> usize {
    while message.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    at
}
