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

pub const MAX_ORDER_NO: usize = 50;

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
    fn order_numbers_are_plain() {
        assert!(is_order_no("ST20261127094744r"));
        assert!(!is_order_no("a\"}"));
        assert!(!is_order_no(""));
        assert!(!is_order_no(&"9".repeat(51)));
    }
}
