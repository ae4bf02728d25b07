//! CSV downloads of the console's lists, with the page's filters applied: UTF-8 after a
//! byte-order mark (without it Excel reads Chinese as GBK and shows mojibake), column names in
//! the reader's language, every field through `unipay_core::csv::field` (quoted where needed,
//! and a value a spreadsheet would run as a formula written as text). Amounts are plain yuan
//! (`1234.50`, no separators) so that a spreadsheet reads them as numbers; times are UTC+8 as
//! on the page. A download is bounded by [`MAX_ROWS`] and audited as `console.export`.

use super::i18n::Tr;
use super::session::SignedIn;
use crate::state::AppState;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use unipay_core::csv::field;

/// The most rows one download holds; a longer list is narrowed by its filters first.
pub const MAX_ROWS: usize = 10_000;

/// The file as bytes: BOM, the header (catalogue keys, translated), one line per row.
pub fn file(t: &Tr, header_keys: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = String::from("\u{feff}");
    let header: Vec<String> = header_keys.iter().map(|key| field(t.get(key))).collect();
    out.push_str(&header.join(","));
    out.push_str("\r\n");
    for row in rows {
        let line: Vec<String> = row.iter().map(|value| field(value)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

/// Answers the download and audits it with the filters it was made with.
pub async fn respond(
    state: &AppState,
    signed: &SignedIn,
    list: &str,
    filters: &str,
    body: String,
    rows: usize,
) -> Response {
    let detail = format!("{rows} rows; {filters}");
    signed
        .audit(state, "console.export", list, &detail, "ok")
        .await;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let disposition = format!("attachment; filename=\"{list}.csv\"");
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::console::i18n::Lang;

    /// The file opens in Excel as UTF-8, and a field that would run as a formula is text.
    #[test]
    fn a_file_has_a_bom_translated_names_and_safe_fields() {
        let rows = vec![
            vec![
                "pay_1".to_string(),
                "=HYPERLINK(\"x\")".to_string(),
                "1234.50".to_string(),
            ],
            vec![
                "pay_2".to_string(),
                "茶, 两杯".to_string(),
                "-3.00".to_string(),
            ],
        ];
        let text = file(
            &Lang::ZhCn.tr(),
            &["payments.id", "payment.subject", "payments.amount"],
            &rows,
        );
        assert!(text.starts_with('\u{feff}'));
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert!(!lines[0].contains("payments.id"), "{}", lines[0]);
        assert_eq!(lines[1], "pay_1,\"'=HYPERLINK(\"\"x\"\")\",1234.50");
        assert_eq!(lines[2], "pay_2,\"茶, 两杯\",-3.00");
        assert_eq!(lines[3], "");
    }
}
