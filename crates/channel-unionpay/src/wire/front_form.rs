//! The page that sends the payer's browser to UnionPay with a signed front request: a form
//! of hidden fields that submits itself, as the SDK's `createAutoFormHtml` writes it, but
//! with values HTML-escaped (the SDK's are not, so a value with `"` would break its page).

use crate::charset::Charset;
use crate::fields::Fields;

/// The HTML page posting `fields` to `action_url` (`frontTransReq.do`). Serve it in
/// `charset`: the browser posts the form in the page's charset.
pub fn auto_submit_form(action_url: &str, fields: &Fields, charset: Charset) -> String {
    let mut page = format!(
        "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={}\"/></head>\
         <body><form id=\"pay_form\" action=\"{}\" method=\"post\">",
        charset.name(),
        escape(action_url)
    );
    for (key, value) in fields.iter() {
        page.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\"/>",
            escape(key),
            escape(value)
        ));
    }
    page.push_str(
        "</form></body><script type=\"text/javascript\">\
         document.getElementById(\"pay_form\").submit();</script></html>",
    );
    page
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // A line break inside an attribute would be normalised by the browser; keep it.
            '\r' => out.push_str("&#13;"),
            '\n' => out.push_str("&#10;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_the_form_posts_itself() {
        let fields: Fields = [("reqReserved", "a\"<b>&c"), ("txnAmt", "1000")]
            .into_iter()
            .collect();
        let page = auto_submit_form(
            "https://gateway.test.95516.com/gateway/api/frontTransReq.do",
            &fields,
            Charset::Utf8,
        );
        assert!(page.contains("charset=UTF-8"));
        assert!(page.contains("name=\"reqReserved\" value=\"a&quot;&lt;b&gt;&amp;c\""));
        assert!(page.contains("name=\"txnAmt\" value=\"1000\""));
        assert!(
            page.contains("action=\"https://gateway.test.95516.com/gateway/api/frontTransReq.do\"")
        );
        assert!(page.contains(".submit()"));
    }
}
