//! `ZIPDetailRecords`: the statement text as the bank compresses it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;

/// Standard base64 (padded, one line) of gzip of the text's GBK bytes. The statement's
/// characters are all in GBK; were one not, encoding_rs writes it as `&#NNNN;`.
pub fn gzip_base64_gbk(text: &str) -> std::io::Result<String> {
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(&gbk)?;
    Ok(STANDARD.encode(encoder.finish()?))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    #[test]
    fn round_trips_through_gbk_gzip_and_base64() {
        let text = "商户号|交易类型^^M|支付|1.00";
        let encoded = gzip_base64_gbk(text).unwrap();
        assert!(!encoded.contains('\n'));
        let gz = STANDARD.decode(&encoded).unwrap();
        let mut gbk = Vec::new();
        GzDecoder::new(&gz[..]).read_to_end(&mut gbk).unwrap();
        // GBK, not UTF-8: 商 is two bytes.
        assert_eq!(
            gbk.len(),
            text.chars()
                .map(|c| if c.is_ascii() { 1 } else { 2 })
                .sum::<usize>()
        );
        let (decoded, _, errors) = encoding_rs::GBK.decode(&gbk);
        assert!(!errors);
        assert_eq!(decoded, text);
    }
}
