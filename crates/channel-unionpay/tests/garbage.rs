//! Whatever bytes arrive, the readers answer with a value or an error, never a panic.
#![allow(clippy::unwrap_used)]

use unipay_channel_unionpay::crypto::Certificate;
use unipay_channel_unionpay::recon::{
    DeclaredTotals, ZmLine, ZmSink, parse_zm, unpack_file_content,
};
use unipay_channel_unionpay::wire::{decode_form, parse_answer};
use unipay_channel_unionpay::{Charset, Fields};
use unipay_core::statement::UnreadableLine;

/// A fixed pseudo-random sequence (xorshift), so that a failure can be replayed.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u8 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 24) as u8
    }

    /// Mostly the bytes the formats care about, so that the inputs get somewhere.
    fn message(&mut self, len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] = b"ab=&{}[]%2B+\r\n D0C19";
        (0..len)
            .map(|_| match self.next() % 4 {
                0 => self.next(),
                _ => ALPHABET[usize::from(self.next()) % ALPHABET.len()],
            })
            .collect()
    }
}

struct Discard;

impl ZmSink for Discard {
    fn line(&mut self, _: &ZmLine<'_>) {}
    fn unreadable(&mut self, _: UnreadableLine) {}
}

#[test]
fn random_input_never_panics() {
    let mut bytes = Bytes(0x9E37_79B9_7F4A_7C15);
    for round in 0..3000 {
        let input = bytes.message(round % 700);
        let _ = parse_answer(&input, Charset::Utf8);
        let _ = parse_answer(&input, Charset::Gbk);
        let _ = decode_form(&input);
        let _ = ZmLine::check(1, &input);
        let _ = parse_zm(&mut input.as_slice(), &mut Discard);
        let _ = Certificate::from_der_or_pem(&input);
        let text = String::from_utf8_lossy(&input);
        let _ = unpack_file_content(&text);
        let _ = DeclaredTotals::from_report(&format!("总计 {text}"));
        let fields: Fields = [("k", String::from_utf8_lossy(&input))]
            .into_iter()
            .collect();
        let _ = fields.string_to_sign();
    }
}

#[test]
fn damaged_certificates_are_errors() {
    let pem = std::fs::read(format!(
        "{}/tests/vectors/certs/acp_test_root.cer",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let good = Certificate::from_der_or_pem(&pem).unwrap();
    let der = good.to_der().to_vec();
    let mut bytes = Bytes(7);
    for _ in 0..300 {
        let mut damaged = der.clone();
        let at = usize::from(bytes.next()) * der.len() / 256;
        damaged[at] ^= bytes.next() | 1;
        let _ = Certificate::from_der_or_pem(&damaged);
        let _ = Certificate::from_der_or_pem(&der[..at]);
    }
}
