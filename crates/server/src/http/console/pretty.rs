//! Bank messages as a person reads them: the stored (masked) text of a message is one long
//! line; the pages show JSON indented, a form-encoded message one field per line and XML one
//! element per line. Anything else, or anything that does not parse, is shown as it is: the
//! stored text and its SHA-256 stay the evidence, this is only how the page draws it.

/// The most text worth laying out (the bank caps a message at 8,000 bytes; a stored one with
/// its envelope is a little longer).
const MAX_CHARS: usize = 64 * 1024;

pub fn bank_message(raw: &str) -> String {
    let text = raw.trim();
    if text.is_empty() || text.len() > MAX_CHARS {
        return raw.to_string();
    }
    if let Some(pretty) = json(text) {
        return pretty;
    }
    if text.starts_with('<') {
        return xml(text);
    }
    if text.contains('=') && text.contains('&') && !text.contains(char::is_whitespace) {
        return text.split('&').collect::<Vec<_>>().join("\n");
    }
    raw.to_string()
}

/// The JSON object in the text (after any prefix such as a signature header), indented.
fn json(text: &str) -> Option<String> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    let body = text.get(start..=end)?;
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let pretty = serde_json::to_string_pretty(&value).ok()?;
    let before = text.get(..start).unwrap_or("").trim();
    let after = text.get(end + 1..).unwrap_or("").trim();
    let mut out = String::new();
    if !before.is_empty() {
        out.push_str(before);
        out.push('\n');
    }
    out.push_str(&pretty);
    if !after.is_empty() {
        out.push('\n');
        out.push_str(after);
    }
    Some(out)
}

/// One element per line, indented by depth: enough for the flat messages banks send.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut depth: usize = 0;
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let content = rest.get(..open).unwrap_or("").trim();
        out.push_str(content);
        let Some(close) = rest.get(open..).and_then(|r| r.find('>')) else {
            out.push_str(rest.get(open..).unwrap_or(""));
            return out;
        };
        let tag = rest.get(open..=open + close).unwrap_or("");
        let closing = tag.starts_with("</");
        let self_closing = tag.ends_with("/>") || tag.starts_with("<?") || tag.starts_with("<!");
        if closing {
            depth = depth.saturating_sub(1);
        }
        // A closing tag right after its text stays on the text's line.
        if !closing || content.is_empty() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&"  ".repeat(depth));
        }
        out.push_str(tag);
        if !closing && !self_closing {
            depth += 1;
        }
        rest = rest.get(open + close + 1..).unwrap_or("");
    }
    out.push_str(rest.trim());
    out
}

#[cfg(test)]
mod tests {
    use super::bank_message;

    #[test]
    fn json_is_indented_and_its_prefix_kept() {
        let raw = r#"MSG={"Message":{"TrxResponse":{"ReturnCode":"0000","OrderNo":"ON1"}}}"#;
        let pretty = bank_message(raw);
        assert!(pretty.starts_with("MSG=\n{\n  \"Message\": {"), "{pretty}");
        assert!(
            pretty.contains("\n      \"ReturnCode\": \"0000\""),
            "{pretty}"
        );
    }

    #[test]
    fn forms_get_a_field_per_line_and_xml_an_element_per_line() {
        assert_eq!(bank_message("a=1&b=2&c=x%20y"), "a=1\nb=2\nc=x%20y");
        assert_eq!(
            bank_message("<?xml version=\"1.0\"?><R><Code>00</Code><Msg>ok</Msg></R>"),
            "<?xml version=\"1.0\"?>\n<R>\n  <Code>00</Code>\n  <Msg>ok</Msg>\n</R>"
        );
    }

    #[test]
    fn anything_else_is_left_alone() {
        assert_eq!(
            bank_message("plain text, not a message"),
            "plain text, not a message"
        );
        assert_eq!(bank_message("{broken"), "{broken");
        assert_eq!(bank_message(""), "");
    }
}
