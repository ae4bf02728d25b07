//! The XML text of a result notification (M, inside `<Message>`): flat `<Tag>value</Tag>`
//! fields in a fixed order inside `TrxResponse`, as in the captured notification.
//!
//! Values are written raw, `<`, `>` and `&` included: the bank's client cuts each value out by
//! its tags (the first `<Tag>` to the next `</Tag>`) and shows it without unescaping, so an
//! escaped `&amp;` would reach the merchant as five characters.

/// M holding the `(tag, value)` pairs in order.
pub fn result_message(fields: &[(&str, &str)]) -> String {
    let mut xml = String::from("<Version>V3.0.0</Version><Format>XML</Format><TrxResponse>");
    for (tag, value) in fields {
        xml.push('<');
        xml.push_str(tag);
        xml.push('>');
        xml.push_str(value);
        xml.push_str("</");
        xml.push_str(tag);
        xml.push('>');
    }
    xml.push_str("</TrxResponse>");
    xml
}

/// The raw text of the first `<tag>…</tag>`, read as the bank's client reads it.
pub fn field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&close)?;
    Some(&xml[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_raw() {
        let xml = result_message(&[("ReturnCode", "0000"), ("MerchantRemarks", "a<b>&c")]);
        assert_eq!(
            xml,
            "<Version>V3.0.0</Version><Format>XML</Format><TrxResponse><ReturnCode>0000</ReturnCode><MerchantRemarks>a<b>&c</MerchantRemarks></TrxResponse>"
        );
        assert_eq!(field(&xml, "MerchantRemarks"), Some("a<b>&c"));
    }
}
