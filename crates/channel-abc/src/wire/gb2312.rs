//! The bytes a notification's signature covers. The bank's own client verifies a notification
//! over `Message.getBytes("gb2312")`: the message arrives in GBK, and every character GBK has
//! but GB2312 lacks (喆, 镕, the euro sign…) becomes one `?` in the bytes verified. The bank must
//! therefore sign those bytes, and we verify the same way.

/// GBK bytes → the GB2312 (EUC-CN) bytes Java would produce for the same text.
///
/// A two-byte GBK sequence is GB2312 when its lead byte is in 0xA1..=0xF7 outside the rows GB2312
/// leaves empty (0xAA..=0xAF), its trail byte in 0xA1..=0xFE, and it is not one of the cells
/// GB2312 leaves empty in those rows (which GBK fills: ⅰ, €, vertical forms, user-defined
/// characters…) nor one Java decodes from GBK to a character its GB2312 lacks (`·` A1A4, `—`
/// A1AA); GBK's `―` (A844) is GB2312's A1AA to Java. Any other sequence, and the single byte
/// 0x80, stands for a character GB2312 lacks. Bytes below 0x80 are ASCII either way.
pub fn gb2312_signed_bytes(gbk: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(gbk.len());
    let mut at = 0;
    while let Some(&lead) = gbk.get(at) {
        if lead < 0x80 {
            out.push(lead);
            at += 1;
            continue;
        }
        match (lead, gbk.get(at + 1)) {
            (0xA8, Some(&0x44)) => {
                out.extend_from_slice(&[0xA1, 0xAA]);
                at += 2;
            }
            (0x81..=0xFE, Some(&trail)) => {
                let in_gb2312 = (0xA1..=0xF7).contains(&lead)
                    && !(0xAA..=0xAF).contains(&lead)
                    && (0xA1..=0xFE).contains(&trail)
                    && !not_in_gb2312(lead, trail);
                if in_gb2312 {
                    out.extend_from_slice(&[lead, trail]);
                } else {
                    out.push(b'?');
                }
                at += 2;
            }
            _ => {
                out.push(b'?');
                at += 1;
            }
        }
    }
    out
}

/// The cells of GB2312's rows that Java's GB2312 encoder does not give back for the character
/// GBK decodes there (checked against OpenJDK 17 over every GBK cell).
fn not_in_gb2312(lead: u8, trail: u8) -> bool {
    match lead {
        0xA1 => matches!(trail, 0xA4 | 0xAA),
        0xA2 => matches!(trail, 0xA1..=0xB0 | 0xE3 | 0xE4 | 0xEF | 0xF0 | 0xFD | 0xFE),
        0xA4 => trail >= 0xF4,
        0xA5 => trail >= 0xF7,
        0xA6 => matches!(trail, 0xB9..=0xC0 | 0xD9..=0xFE),
        0xA7 => matches!(trail, 0xC2..=0xD0 | 0xF2..=0xFE),
        0xA8 => matches!(trail, 0xBB..=0xC4 | 0xEA..=0xFE),
        0xA9 => matches!(trail, 0xA1..=0xA3 | 0xF0..=0xFE),
        0xD7 => trail >= 0xFA,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        encoding_rs::GBK.encode(text).0.into_owned()
    }

    /// Proves GB2312 characters and ASCII pass through, and characters only GBK has become `?`.
    #[test]
    fn only_gbk_characters_become_question_marks() {
        assert_eq!(gb2312_signed_bytes(&gbk("交易成功 OK")), gbk("交易成功 OK"));
        assert_eq!(
            gb2312_signed_bytes(&gbk("张喆")),
            [gbk("张"), b"?".to_vec()].concat()
        );
        assert_eq!(
            gb2312_signed_bytes(&gbk("朱镕基")),
            [gbk("朱"), b"?".to_vec(), gbk("基")].concat()
        );
        assert_eq!(gb2312_signed_bytes(&[0x80, b'a']), b"?a");
        assert_eq!(gb2312_signed_bytes(&[0xB0]), b"?");
    }

    /// Proves the cells GB2312's rows leave empty, and the characters Java maps differently,
    /// are signed as Java's `getBytes("gb2312")` gives them (checked against OpenJDK 17).
    #[test]
    fn cells_gb2312_lacks_become_question_marks_as_java_has_them() {
        // · (a middle dot, as in 买买提·艾力) and — are GBK's, not Java's GB2312.
        assert_eq!(
            gb2312_signed_bytes(&gbk("买买提·艾力")),
            [gbk("买买提"), b"?".to_vec(), gbk("艾力")].concat()
        );
        assert_eq!(gb2312_signed_bytes(&gbk("a—b")), b"a?b");
        assert_eq!(gb2312_signed_bytes(&gbk("ⅰ€︵ɑ")), b"????");
        assert_eq!(
            gb2312_signed_bytes(&[0xD7, 0xF9, 0xD7, 0xFA]),
            [0xD7, 0xF9, b'?']
        );
        assert_eq!(
            gb2312_signed_bytes(&[0xA1, 0xA1, 0xA1, 0xA3]),
            [0xA1, 0xA1, 0xA1, 0xA3]
        );
        // GBK's ― (A844) is GB2312's A1AA.
        assert_eq!(gb2312_signed_bytes(&gbk("―")), [0xA1, 0xAA]);
    }
}
