//! Identifiers read from requests before (MerchantID) or instead of trusting them.

/// The first `"MerchantID":"…"` value in M, read before M is verified: we need it to find the
/// certificate that verifies M. Nothing else is trusted until the signature checks out, and the
/// parsed M must then name the same merchant.
pub fn scan_merchant_id(message: &[u8]) -> Option<&str> {
    const NEEDLE: &[u8] = b"\"MerchantID\":\"";
    let start = message
        .windows(NEEDLE.len())
        .position(|window| window == NEEDLE)?
        + NEEDLE.len();
    let rest = message.get(start..)?;
    let end = rest.iter().position(|&b| b == b'"')?;
    let id = std::str::from_utf8(rest.get(..end)?).ok()?;
    is_merchant_id(id).then_some(id)
}

/// MerchantIDs are short ASCII identifiers (ABC's are 15 digits); anything else is refused
/// before it is used as a key or echoed.
pub fn is_merchant_id(id: &str) -> bool {
    (1..=32).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Order numbers are echoed in answers, pages and notifications: only characters that are safe
/// everywhere (JSON read by a naive scanner, XML, HTML, URLs) are accepted.
pub fn is_order_no(order_no: &str) -> bool {
    (1..=MAX_ORDER_NO).contains(&order_no.len())
        && order_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The SDK checks order numbers for at most 60 characters.
pub const MAX_ORDER_NO: usize = 60;

/// The certificate types the SDK accepts (`DataVerifier.isValidCertificate`).
pub const CERTIFICATE_TYPES: &[&str] = &[
    "I", "P", "S", "J", "K", "T", "F", "D", "W", "U", "R", "B", "A", "C", "E", "G", "H", "L", "M",
];

/// A certificate as the SDK accepts it: a known type, a plain number (echoed in notifications
/// and pages), and for `I` (the resident identity card) 15 or 18 characters.
pub fn is_certificate(certificate_type: &str, number: &str) -> bool {
    let plain =
        (1..=32).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric());
    CERTIFICATE_TYPES.contains(&certificate_type)
        && plain
        && (certificate_type != "I" || matches!(number.len(), 15 | 18))
}

/// A bank card number as the SDK checks it: 1 to 20 digits.
pub fn is_card_no(text: &str) -> bool {
    (1..=20).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_the_merchant_id() {
        let m = br#"{"Version":"V3.0.0","Merchant":{"ECMerchantType":"EBUS","MerchantID":"103881234560010"}}"#;
        assert_eq!(scan_merchant_id(m), Some("103881234560010"));
        assert_eq!(scan_merchant_id(b"{\"MerchantID\":\"a b\"}"), None);
        assert_eq!(scan_merchant_id(b"{\"MerchantID\":\"abc"), None);
        assert_eq!(scan_merchant_id(b"{}"), None);
    }

    #[test]
    fn certificates_as_the_sdk_checks_them() {
        assert!(is_certificate("I", "110101199003071234"));
        assert!(is_certificate("I", "110101900307123"));
        assert!(!is_certificate("I", "1101011990030712"));
        assert!(is_certificate("M", "X1"));
        assert!(!is_certificate("Z", "X1"));
        assert!(!is_certificate("P", ""));
    }

    #[test]
    fn order_numbers_are_plain() {
        assert!(is_order_no("ST20261127094744r"));
        assert!(!is_order_no("a\"}"));
        assert!(!is_order_no(""));
        assert!(is_order_no(&"9".repeat(60)));
        assert!(!is_order_no(&"9".repeat(61)));
    }
}
