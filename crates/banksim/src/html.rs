//! Tiny HTML helpers for the consumer's pages: every interpolated value goes through
//! [`escape`].

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page; `head_extra` and `body` are already-escaped HTML.
pub fn page(status: StatusCode, title: &str, head_extra: &str, body: &str) -> Response {
    let title = escape(title);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{title}</title>{head_extra}\
         <style>body{{font-family:sans-serif;max-width:36em;margin:2em auto}}th{{text-align:left;padding-right:1em}}\
         button{{margin:1em 1em 0 0;padding:.5em 1.5em}}</style></head>\
         <body><p>中国农业银行 网上支付平台（模拟器）· ABC TrustPay simulator</p><h1>{title}</h1>{body}</body></html>\n"
    );
    (status, Html(html)).into_response()
}

/// A `<table>` of label/value rows, values escaped.
pub fn table(rows: &[(&str, &str)]) -> String {
    let mut out = String::from("<table>");
    for (label, value) in rows {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
    out.push_str("</table>");
    out
}

/// A page that only says what went wrong.
pub fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    page(status, title, "", &format!("<p>{}</p>", escape(text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
