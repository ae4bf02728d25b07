//! The XML text of a result message (M, inside `<Message>`): the payment, signing and identity
//! results share it. Written in a fixed field order; read by tag, and only once verified.

use super::{MessageError, VERSION};
use crate::wire::xml_field;

/// M holding the `(tag, value)` pairs in order. Values are written as they are: the bank's own
/// client cuts each value out by its tags and shows it without unescaping, so the platform
/// cannot escape them (an escaped `&lt;` would reach the merchant as `&lt;`).
pub(crate) fn write(fields: &[(&str, &str)]) -> String {
    let mut xml = format!("<Version>{VERSION}</Version><Format>XML</Format><TrxResponse>");
    for (tag, value) in fields {
        xml.push_str(&format!("<{tag}>{value}</{tag}>"));
    }
    xml.push_str("</TrxResponse>");
    xml
}

/// The fields of a VERIFIED M. They live in `TrxResponse`; a variant without it is read whole.
pub(crate) struct ResultFields<'a> {
    body: &'a str,
}

impl<'a> ResultFields<'a> {
    pub(crate) fn of(xml: &'a str) -> ResultFields<'a> {
        ResultFields {
            body: xml_field(xml, "TrxResponse").unwrap_or(xml),
        }
    }

    /// The value as it stands between `<tag>` and the next `</tag>` (not unescaped, as the
    /// bank's own client reads it), `""` when absent.
    pub(crate) fn optional(&self, tag: &str) -> String {
        xml_field(self.body, tag).unwrap_or_default().to_string()
    }

    /// The trimmed value; absent or blank is an error naming the field.
    pub(crate) fn required(&self, tag: &'static str) -> Result<String, MessageError> {
        let value = self.optional(tag);
        let value = value.trim();
        if value.is_empty() {
            return Err(MessageError::bad(tag, "missing"));
        }
        Ok(value.to_string())
    }

    /// Refuses a result of another kind (a signing result posted where identity results
    /// arrive, say).
    pub(crate) fn expect_trx_type(&self, expected: &'static str) -> Result<(), MessageError> {
        if self.required("TrxType")? != expected {
            return Err(MessageError::bad("TrxType", format!("not {expected}")));
        }
        Ok(())
    }
}
