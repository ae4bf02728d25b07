//! Rendering the consumer's pages from the askama templates in `templates/`, which escape every
//! value they interpolate.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The label/value rows of a page's summary table (`templates/table.html`).
pub type Rows = Vec<(&'static str, String)>;

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    text: &'a str,
}

/// A page with `status`; a template that fails to render becomes a bare 500 so the consumer
/// never sees half a page.
pub fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// A page that only says what went wrong.
pub fn message_page(status: StatusCode, title: &str, text: &str) -> Response {
    render(status, &MessagePage { title, text })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves interpolated text cannot inject markup.
    #[test]
    fn message_text_is_escaped() {
        let html = MessagePage {
            title: "<b>",
            text: r#"<a href="x">&'</a>"#,
        }
        .render()
        .unwrap();
        assert!(!html.contains("<a href") && !html.contains("<b>"), "{html}");
        assert!(
            html.contains("&#60;a href=&#34;x&#34;&#62;&#38;&#39;&#60;/a&#62;"),
            "{html}"
        );
    }
}
