//! The first form of an HTML page, read the way a browser submits it: its action and its
//! named fields, entities decoded. Enough for the cashier's and the UnionPay gateway's pages,
//! which the UnionPay benchmark walks through like a consumer.

/// The action and the `name`/`value` pairs of the page's first form; `None` without one.
pub fn first_form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let form = &html[html.find("<form")?..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let action = attribute(&form[..form.find('>')?], "action")?;
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("<input") {
        let tag = &rest[at..];
        let end = tag.find('>')?;
        if let (Some(name), Some(value)) = (
            attribute(&tag[..end], "name"),
            attribute(&tag[..end], "value"),
        ) {
            fields.push((name, value));
        }
        rest = &tag[end..];
    }
    Some((action, fields))
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let open = format!(" {name}=\"");
    let start = tag.find(&open)? + open.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

/// HTML entities as askama and the simulator write them: the named five and numeric ones.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';') else {
            break;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => match entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
            {
                Some(hex) => u32::from_str_radix(hex, 16).ok().and_then(char::from_u32),
                None => entity
                    .strip_prefix('#')
                    .and_then(|n| n.parse().ok())
                    .and_then(char::from_u32),
            },
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::first_form;

    #[test]
    fn reads_the_first_form_with_entities_decoded() {
        let html = r#"<p>x</p><form method="post" action="http://gw/a?b=1&amp;c=2"><input type="hidden" name="k" value="a&#43;b&quot;c&#x2F;"><button>Go</button></form><form action="/other"></form>"#;
        let (action, fields) = first_form(html).unwrap();
        assert_eq!(action, "http://gw/a?b=1&c=2");
        assert_eq!(fields, [("k".to_string(), "a+b\"c/".to_string())]);
        assert!(first_form("<p>no form</p>").is_none());
    }
}
