//! The CSV files the platform writes (settlement files, reconciliation reports) quote their
//! fields the same way, so a reader of one reads the others.

/// Quotes a field when it holds a comma, a quote or a line break (RFC 4180); other fields,
/// ids and amounts among them, are written as they are.
pub fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn plain_fields_are_written_as_they_are() {
        assert_eq!(field("mch_1"), "mch_1");
        assert_eq!(field(""), "");
    }

    #[test]
    fn fields_that_would_break_the_row_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("cr\r"), "\"cr\r\"");
    }
}
