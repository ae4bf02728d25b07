//! Masking of personal data before anything is stored or logged.

/// Bank message fields that carry card, account, identity or phone numbers.
pub const SENSITIVE_FIELDS: &[&str] = &[
    "AccountNo",
    "AccNo",
    "BankCardNo",
    "CardNo",
    "CertificateID",
    "CertificateNo",
    "CustomerAccount",
    "MerRefundAccountNo",
    "MobileNo",
    "ReceiveAccount",
    "CVV2",
    "ExpDate",
];

/// First 6 and last 4 characters of a card number.
pub fn mask_card(card: &str) -> String {
    mask_keep(card, 6, 4)
}

/// First 3 and last 4 characters of an identity number or a mobile number.
pub fn mask_id(id: &str) -> String {
    mask_keep(id, 3, 4)
}

fn mask_keep(text: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(chars.len());
    out.extend(&chars[..head]);
    out.extend(std::iter::repeat_n('*', chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

/// Masks the values of [`SENSITIVE_FIELDS`] wherever they appear in a bank message, as XML
/// elements (`<CardNo>…</CardNo>`) or as JSON members (`"CardNo":"…"`).
pub fn mask_sensitive_fields(text: &str) -> String {
    let mut out = text.to_string();
    for field in SENSITIVE_FIELDS {
        out = mask_between(&out, &format!("<{field}>"), "<");
        out = mask_between(&out, &format!("\"{field}\":\""), "\"");
    }
    out
}

fn mask_between(text: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let value_start = start + open.len();
        out.push_str(&rest[..value_start]);
        let tail = &rest[value_start..];
        let end = tail.find(close).unwrap_or(tail.len());
        let value = &tail[..end];
        let masked = if value.chars().count() >= 12 {
            mask_card(value)
        } else {
            mask_id(value)
        };
        out.push_str(&masked);
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_named_fields_in_xml_and_json() {
        assert_eq!(
            mask_sensitive_fields(
                "<CardNo>6228480012345678901</CardNo><MerchantID>103881234560010</MerchantID>"
            ),
            "<CardNo>622848*********8901</CardNo><MerchantID>103881234560010</MerchantID>"
        );
        assert_eq!(
            mask_sensitive_fields(r#"{"MobileNo":"13800138000","OrderNo":"A1"}"#),
            r#"{"MobileNo":"138****8000","OrderNo":"A1"}"#
        );
        assert_eq!(mask_card("6228480012345678"), "622848******5678");
        assert_eq!(mask_id("110101199003071234"), "110***********1234");
        assert_eq!(mask_id("123"), "***");
    }
}
