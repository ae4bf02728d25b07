//! Reading the demo's pages as a browser would: redirects, links, forms, attributes.

use std::time::Duration;

pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status().as_u16(), 303, "a redirect");
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_string()
}

/// An absolute URL for a Location that may be relative to `base`'s origin.
pub fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// The value of the first `name="…"` attribute after `after` in `html`, unescaped.
pub fn attribute_after(html: &str, after: &str, name: &str) -> Option<String> {
    let start = html.find(after)?;
    let rest = &html[start..];
    let at = rest.find(&format!("{name}=\""))? + name.len() + 2;
    let end = rest[at..].find('"')?;
    Some(unescape(&rest[at..at + end]))
}

/// The first form of `html`: its action and its named inputs with their values.
pub fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let start = html.find("<form").expect("a form");
    let form = &html[start..];
    let form = &form[..form.find("</form>").expect("the form ends")];
    let action = attribute_after(form, "<form", "action").expect("an action");
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("<input") {
        let tag = &rest[at..];
        let tag = &tag[..tag.find('>').unwrap()];
        if let (Some(name), Some(value)) = (
            attribute_after(tag, "<input", "name"),
            attribute_after(tag, "<input", "value"),
        ) {
            fields.push((name, value));
        }
        rest = &rest[at + tag.len()..];
    }
    (action, fields)
}

/// The cashier's banks to choose from: (channel account id, the name shown), in page order.
pub fn bank_options(checkout: &str) -> Vec<(String, String)> {
    checkout
        .split("<label class=\"option\">")
        .skip(1)
        .filter(|option| option.contains("name=\"channel_account_id\""))
        .map(|option| {
            let value = attribute_after(option, "<input", "value").expect("the account id");
            let name = option[option.find('>').unwrap() + 1..option.find("</label>").unwrap()]
                .trim()
                .to_string();
            (value, unescape(&name))
        })
        .collect()
}

pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
