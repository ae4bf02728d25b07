//! The exact bytes a certificate's issuer signed (the `tbsCertificate` as it stands in the
//! file). Re-encoding a parsed certificate would not do: a certificate whose encoding is not
//! perfectly canonical would then fail to verify although its issuer signed it.

use std::ops::Range;

/// Where the first element inside the outer SEQUENCE lies.
pub(super) fn first_inner_element(der: &[u8]) -> Option<Range<usize>> {
    let (inner_start, _) = header(der, 0)?;
    let (inner_content, inner_len) = header(der, inner_start)?;
    let end = inner_content.checked_add(inner_len)?;
    (end <= der.len()).then_some(inner_start..end)
}

/// At `at`: a SEQUENCE tag and its length. Returns where its content starts, and how long it is.
fn header(der: &[u8], at: usize) -> Option<(usize, usize)> {
    const SEQUENCE: u8 = 0x30;
    if *der.get(at)? != SEQUENCE {
        return None;
    }
    let first = *der.get(at + 1)?;
    if first < 0x80 {
        return Some((at + 2, usize::from(first)));
    }
    let count = usize::from(first & 0x7f);
    if count == 0 || count > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..count {
        len = len << 8 | usize::from(*der.get(at + 2 + i)?);
    }
    Some((at + 2 + count, len))
}

#[cfg(test)]
mod tests {
    use super::first_inner_element;

    #[test]
    fn finds_the_first_element_with_short_and_long_lengths() {
        let der = [0x30, 0x05, 0x30, 0x01, 0xAA, 0x05, 0x00];
        assert_eq!(first_inner_element(&der), Some(2..5));
        let mut long = vec![0x30, 0x82, 0x01, 0x04, 0x30, 0x81, 0x80];
        long.extend([0u8; 0x80]);
        long.extend([0u8; 0x81]);
        assert_eq!(first_inner_element(&long), Some(4..4 + 3 + 0x80));
        assert_eq!(first_inner_element(&[0x30, 0x03, 0x30, 0x05, 0x00]), None);
        assert_eq!(first_inner_element(&[0x02, 0x01, 0x00]), None);
    }
}
