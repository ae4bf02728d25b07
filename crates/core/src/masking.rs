//! Masking of personal data before anything is stored or logged.

/// Bank message fields that carry card, account, identity or phone numbers, names, or card
/// secrets: every personal field of every message unipay sends or receives.
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
    "VerifyCode",
    "AccName",
    "AccountName",
    "ClientName",
    "CustomerName",
    "MerRefundAccountName",
    "ReceiveAccountName",
    "RealName",
];

/// The fields of [`SENSITIVE_FIELDS`] that hold a name: masked as a name, not as a number.
pub const NAME_FIELDS: &[&str] = &[
    "AccName",
    "AccountName",
    "ClientName",
    "CustomerName",
    "MerRefundAccountName",
    "ReceiveAccountName",
    "RealName",
];

/// The fields of [`SENSITIVE_FIELDS`] that hold a secret (a code texted to the consumer, a
/// card's security code or expiry): nothing of them is kept.
pub const SECRET_FIELDS: &[&str] = &["CVV2", "ExpDate", "VerifyCode"];

/// The fields of [`SENSITIVE_FIELDS`] that hold a mobile number or an identity document
/// number: first 3 and last 4 kept.
pub const SHORT_MASK_FIELDS: &[&str] = &["MobileNo", "CertificateID", "CertificateNo"];

/// First 6 and last 4 characters of a card number.
pub fn mask_card(card: &str) -> String {
    mask_keep(card, 6, 4)
}

/// First 3 and last 4 characters of an identity number.
pub fn mask_id(id: &str) -> String {
    mask_keep(id, 3, 4)
}

/// First 3 and last 4 digits of a mobile number.
pub fn mask_mobile(mobile: &str) -> String {
    mask_keep(mobile, 3, 4)
}

/// The first character of a name, then one `*` for each other character (`张三丰` → `张**`).
/// A name of one character is all `*`.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), chars.clone().next()) {
        (Some(first), Some(_)) => {
            let mut out = String::with_capacity(name.len());
            out.push(first);
            out.extend(chars.map(|_| '*'));
            out
        }
        _ => "*".repeat(name.chars().count()),
    }
}

/// Masks the value of one of [`SENSITIVE_FIELDS`] the way its field asks.
pub fn mask_field(field: &str, value: &str) -> String {
    if NAME_FIELDS.contains(&field) {
        mask_name(value)
    } else if SECRET_FIELDS.contains(&field) {
        "*".repeat(value.chars().count())
    } else if SHORT_MASK_FIELDS.contains(&field) {
        mask_id(value)
    } else if value.chars().count() >= 12 {
        mask_card(value)
    } else {
        mask_id(value)
    }
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

/// What may be kept of an inbound message that was not believed (bad signature, unreadable):
/// its size only, beside its hash. It was not decoded, and its encoded form (a notification's
/// base64 `MSG`) hides personal data from [`mask_sensitive_fields`].
pub fn unverified_record(body: &[u8]) -> String {
    format!("[unverified message of {} bytes]", body.len())
}

/// Masks the values of [`SENSITIVE_FIELDS`] wherever they appear in a bank message, as XML
/// elements (`<CardNo>…</CardNo>`) or as JSON members (`"CardNo":"…"`).
pub fn mask_sensitive_fields(text: &str) -> String {
    let mut out = text.to_string();
    for field in SENSITIVE_FIELDS {
        if !out.contains(field) {
            continue;
        }
        out = mask_between(&out, field, &format!("<{field}>"), "<");
        out = mask_between(&out, field, &format!("\"{field}\":\""), "\"");
    }
    out
}

fn mask_between(text: &str, field: &str, open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let value_start = start + open.len();
        out.push_str(&rest[..value_start]);
        let tail = &rest[value_start..];
        let end = tail.find(close).unwrap_or(tail.len());
        let value = &tail[..end];
        out.push_str(&mask_field(field, value));
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

    #[test]
    fn masks_names_and_secrets_by_field() {
        assert_eq!(
            mask_sensitive_fields(
                "<ClientName>张三丰</ClientName><AccName>Li Lei</AccName><CustomerName>王</CustomerName>"
            ),
            "<ClientName>张**</ClientName><AccName>L*****</AccName><CustomerName>*</CustomerName>"
        );
        assert_eq!(
            mask_sensitive_fields(
                r#"{"VerifyCode":"123456","CVV2":"123","ExpDate":"2812","CertificateNo":"11010119900307123X"}"#
            ),
            r#"{"VerifyCode":"******","CVV2":"***","ExpDate":"****","CertificateNo":"110***********123X"}"#
        );
        assert_eq!(mask_mobile("13800138000"), "138****8000");
        assert_eq!(mask_name(""), "");
    }
}
