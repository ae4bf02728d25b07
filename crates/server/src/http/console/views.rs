//! Small view models the operational pages share: a ledger entry as rows of text, a cursor
//! link, a date filter.

use super::page::day_start_ms;
use serde::Deserialize;
use unipay_core::money::format_yuan;
use unipay_store::browse::Search;
use unipay_store::browse::payments::PaymentSet;
use unipay_store::ledger::StoredEntry;
use unipay_store::refunds::transactions::Cursor;

const DAY_MS: i64 = 86_400_000;

/// A journal entry as a page shows it: one line per posting.
pub struct EntryView {
    pub id: String,
    pub reason: &'static str,
    pub accounting_date: String,
    pub memo: String,
    pub postings: Vec<(String, String)>,
}

impl EntryView {
    pub fn of(entry: &StoredEntry) -> EntryView {
        EntryView {
            id: entry.id.clone(),
            reason: entry.reason.as_str(),
            accounting_date: entry.accounting_date.clone(),
            memo: entry.memo.clone(),
            postings: entry
                .postings
                .iter()
                .map(|p| (p.account.to_string(), format_yuan(p.amount)))
                .collect(),
        }
    }
}

/// The bounds of a `from`/`to` date filter (UTC+8 days, `to` inclusive); `None` when a date
/// is not `YYYY-MM-DD`.
pub fn date_range(from: &str, to: &str) -> Option<(Option<i64>, Option<i64>)> {
    let bound = |date: &str, shift: i64| -> Option<Option<i64>> {
        let date = date.trim();
        if date.is_empty() {
            return Some(None);
        }
        day_start_ms(date).map(|ms| Some(ms + shift))
    };
    Some((bound(from, 0)?, bound(to, DAY_MS)?))
}

/// A cursor from a query string; blank or unreadable is the first page.
pub fn cursor(text: &str) -> Option<Cursor> {
    Cursor::parse(text.trim())
}

/// A query string: `pairs` URL-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if !value.is_empty() {
            serializer.append_pair(key, value);
        }
    }
    serializer.finish()
}

/// An optional text, or an empty string.
pub fn or_blank(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// The query of a search page: `?q=&status=&app=&from=&to=&cursor=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    pub q: String,
    pub status: String,
    pub app: String,
    pub from: String,
    pub to: String,
    pub cursor: String,
    /// A named set of payments (`reached_bank`, `awaiting_result`, `late_success`): what a
    /// dashboard tile counts.
    pub set: String,
}

impl SearchParams {
    /// The search as the store takes it, and whether a date did not read (then neither date
    /// narrows, and the page says so).
    pub fn search(&self) -> (Search<'_>, bool) {
        let range = date_range(&self.from, &self.to);
        let bad_date = range.is_none();
        let (from_ms, to_ms) = range.unwrap_or((None, None));
        let search = Search {
            text: given(&self.q),
            status: given(&self.status),
            app_id: given(&self.app),
            from_ms,
            to_ms,
            cursor: cursor(&self.cursor),
            set: PaymentSet::parse(self.set.trim()),
        };
        (search, bad_date)
    }

    /// The link to the page that starts at `next`, with the same filters.
    pub fn next_page(&self, next: &Cursor) -> String {
        query_string(&[
            ("q", &self.q),
            ("status", &self.status),
            ("app", &self.app),
            ("from", &self.from),
            ("to", &self.to),
            ("set", &self.set),
            ("cursor", &next.encode()),
        ])
    }
}

/// A filter's text, trimmed; `None` when blank.
fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}
