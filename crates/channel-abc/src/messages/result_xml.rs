//! The XML text of a result message (M, inside `<Message>`): the payment, signing and identity
//! results share it. Written in a fixed field order; read by tag, and only once verified.

use super::{MessageError, VERSION};
use crate::wire::{xml_escape, xml_field, xml_unescape};

/// M holding the `(tag, value)` pairs in order, every value XML-escaped.
pub(crate) fn write(fields: &[(&str, &str)]) -> String {
    let mut xml = format!("<Version>{VERSION}</Version><Format>XML</Format><TrxResponse>");
    for (tag, value) in fields {
        xml.push_str(&format!("<{tag}>{}</{tag}>", xml_escape(value)));
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

    /// The unescaped value, `""` when absent.
    pub(crate) fn optional(&self, tag: &str) -> String {
        xml_field(self.body, tag)
            .map(xml_unescape)
            .unwrap_or_default()
    }

    /// The unescaped, trimmed value; absent or blank is an error naming the field.
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
