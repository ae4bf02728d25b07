//! The CSV files the platform writes (settlement files, reconciliation reports) quote their
//! fields the same way, so a reader of one reads the others.

/// Quotes a field when it holds a comma, a quote or a line break (RFC 4180); other fields,
/// ids and amounts among them, are written as they are. A field a spreadsheet would run as a
/// formula (one starting with `=`, `+`, `-`, `@`, a tab or a carriage return, other than a
/// plain number such as `-12.50`) is written after a `'`, so that it shows as the text it is.
pub fn field(text: &str) -> String {
    let text = if is_formula(text) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    };
    if text.contains([',', '"', '\n', '\r']) || text.starts_with('\'') {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

fn is_formula(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return false;
    };
    if !matches!(first, '=' | '+' | '-' | '@' | '\t' | '\r') {
        return false;
    }
    // A signed amount is a number, not a formula.
    let digits = &text[1..];
    let plain_number = matches!(first, '+' | '-')
        && !digits.is_empty()
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|b| *b == b'.').count() <= 1;
    !plain_number
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

    #[test]
    fn fields_a_spreadsheet_would_run_are_written_as_text() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+cmd"), "\"'+cmd\"");
        assert_eq!(field("-2+3"), "\"'-2+3\"");
        assert_eq!(field("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(field("\tx"), "\"'\tx\"");
        assert_eq!(field("\rx"), "\"'\rx\"");
        assert_eq!(field("-"), "\"'-\"");
        // Signed amounts stay numbers.
        assert_eq!(field("-12.50"), "-12.50");
        assert_eq!(field("+3"), "+3");
    }
}
