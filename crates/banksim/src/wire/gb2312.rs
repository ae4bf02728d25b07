//! The bytes a notification's signature covers: the bank's own client verifies over
//! `Message.getBytes("gb2312")` (Java), so the platform signs those. GB2312 is a subset of
//! GBK: a character GBK has and GB2312 lacks (喆, 镕, €) is in the message in GBK but counts
//! as `?` (0x3F) in the signed bytes, exactly as Java's encoder substitutes it.
//!
//! encoding_rs has no GB2312 encoder, so we encode to GBK and map every sequence outside
//! EUC-CN (GB2312's byte form) to one `?`.

/// The GB2312 bytes of `text`, as Java's `getBytes("gb2312")` gives them. `text` should hold
/// only what GBK carries (see [`super::gbk_only`]).
pub fn signed_bytes(text: &str) -> Vec<u8> {
    to_gb2312(&super::gbk_encode(text))
}

/// Maps GBK bytes to the GB2312 view: ASCII as is; a two-byte EUC-CN sequence (lead
/// 0xA1..=0xF7 outside the empty rows 0xAA..=0xAF, trail 0xA1..=0xFE) as is; any other
/// two-byte GBK sequence, and GBK's one-byte euro 0x80, as `?`.
pub fn to_gb2312(gbk: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(gbk.len());
    let mut i = 0;
    while i < gbk.len() {
        let lead = gbk[i];
        if lead < 0x80 {
            out.push(lead);
            i += 1;
        } else if lead == 0x80 || lead == 0xFF || i + 1 == gbk.len() {
            out.push(b'?');
            i += 1;
        } else {
            let trail = gbk[i + 1];
            let euc_cn = (0xA1..=0xF7).contains(&lead)
                && !(0xAA..=0xAF).contains(&lead)
                && (0xA1..=0xFE).contains(&trail);
            if euc_cn {
                out.extend_from_slice(&[lead, trail]);
            } else {
                out.push(b'?');
            }
            i += 2;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gb2312_characters_keep_their_gbk_bytes() {
        assert_eq!(
            signed_bytes("a交易成功"),
            super::super::gbk_encode("a交易成功")
        );
    }

    #[test]
    fn characters_only_gbk_has_become_question_marks() {
        // 喆 is GBK 0x86B4 and 镕 GBK 0xE946: neither is in GB2312.
        assert_eq!(
            super::super::gbk_encode("喆镕"),
            vec![0x86, 0xB4, 0xE9, 0x46]
        );
        assert_eq!(
            signed_bytes("张喆x镕€"),
            [&super::super::gbk_encode("张")[..], b"?x??"].concat()
        );
    }
}
