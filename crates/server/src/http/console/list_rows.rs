//! Paging, search and the row count of the console's short lists (merchants, apps, channel
//! accounts, users, settlement batches, reconciliation items, dead letters): the store gives
//! the whole list, the page filters it by `q` (contains, any case) and shows one page of it
//! (`?page=2`, `?per=` rows a page). The batch lists and mandates come from the store's
//! keyset pages, walked to the end by [`every_page`] (up to `csv_export::MAX_ROWS` rows) so that
//! they are searched, counted and paged the same way. The long lists (payments, refunds, audit)
//! page in the store instead (`views::trail_paging`).

use super::csv_export::MAX_ROWS;
use super::i18n::Tr;
use super::views::{Paging, date_range, query_string};
use serde::Deserialize;
use unipay_core::money::display_yuan;
use unipay_store::StoreError;
use unipay_store::browse::Search;
use unipay_store::browse::payments::Page;
use unipay_store::refunds::transactions::Cursor;

/// Rows a page shows unless `?per=` says otherwise.
pub const PER_PAGE: usize = 50;

/// The most rows `?per=` may ask for.
const MAX_PER_PAGE: usize = 500;

/// `?q=&page=&per=` of a short list.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct ListParams {
    pub q: String,
    pub page: String,
    pub per: String,
}

impl ListParams {
    /// Whether a row with these texts is found by `q` (every row when `q` is blank).
    pub fn finds(&self, texts: &[&str]) -> bool {
        finds(&self.q, texts)
    }

    /// The search alone (no page), as a query string: the CSV download's.
    pub fn filters(&self) -> String {
        query_string(&[("q", &self.q)])
    }

    /// The page asked for of `rows`, and the links to the others.
    pub fn page_of<T>(&self, path: &str, rows: Vec<T>) -> (Vec<T>, Paging) {
        page_of(rows, path, &[("q", &self.q)], &self.page, &self.per)
    }
}

/// `?q=&status=&app=&from=&to=&page=&per=` of a short list over dates (mandates, identity
/// verifications): the store narrows by status, app and dates, the page by `q`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DatedParams {
    pub q: String,
    pub status: String,
    pub app: String,
    pub from: String,
    pub to: String,
    pub page: String,
    pub per: String,
}

impl DatedParams {
    /// The filters (not the page), as query pairs.
    pub fn filters(&self) -> [(&'static str, &str); 5] {
        [
            ("q", self.q.as_str()),
            ("status", self.status.as_str()),
            ("app", self.app.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ]
    }

    /// The store's search (its first page; `q` is left to [`finds`]), and whether a date did
    /// not read (then neither date narrows, and the page says so).
    pub fn store_search(&self) -> (Search<'_>, bool) {
        let range = date_range(&self.from, &self.to);
        let bad_date = range.is_none();
        let (from_ms, to_ms) = range.unwrap_or((None, None));
        let search = Search {
            status: given(&self.status),
            app_id: given(&self.app),
            from_ms,
            to_ms,
            ..Search::default()
        };
        (search, bad_date)
    }
}

/// A filter's text, trimmed; `None` when blank.
fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

/// Whether `q` (trimmed, any case) is in one of `texts`; a blank `q` finds everything.
pub fn finds(q: &str, texts: &[&str]) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty() || texts.iter().any(|text| text.to_lowercase().contains(&q))
}

/// Page `page` (1 when blank or unreadable; the last when past it) of `rows`, `per` rows a
/// page, with links that keep `filters`.
pub fn page_of<T>(
    rows: Vec<T>,
    path: &str,
    filters: &[(&str, &str)],
    page: &str,
    per: &str,
) -> (Vec<T>, Paging) {
    let per_given = per.trim().parse::<usize>().ok().filter(|n| *n > 0);
    let per = per_given.unwrap_or(PER_PAGE).min(MAX_PER_PAGE);
    let pages = rows.len().div_ceil(per).max(1);
    let number = page
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .unwrap_or(1)
        .min(pages);
    let per_text = per_given.map(|_| per.to_string()).unwrap_or_default();
    let href = |to: usize| {
        let page_text = if to > 1 {
            to.to_string()
        } else {
            String::new()
        };
        let mut pairs = filters.to_vec();
        pairs.push(("per", &per_text));
        pairs.push(("page", &page_text));
        let query = query_string(&pairs);
        if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        }
    };
    let paging = Paging {
        number,
        first: (number > 1).then(|| href(1)),
        previous: (number > 1).then(|| href(number - 1)),
        next: (number < pages).then(|| href(number + 1)),
    };
    let shown = rows
        .into_iter()
        .skip((number - 1) * per)
        .take(per)
        .collect();
    (shown, paging)
}

/// Every row of a keyset-paged store list, following `fetch`'s cursors to the last page (at
/// most [`MAX_ROWS`] rows: a longer list is narrowed by its filters first).
pub async fn every_page<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: Future<Output = Result<Page<T>, StoreError>>,
{
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let page = fetch(cursor).await?;
        rows.extend(page.rows);
        match page.next_cursor {
            Some(next) if rows.len() < MAX_ROWS => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(MAX_ROWS);
    Ok(rows)
}

/// "N found" over a list's filters.
pub fn count_line(t: &Tr, count: usize) -> String {
    t.fill("list.count", &[("count", &count.to_string())])
}

/// "N found, ¥X in all" over a list's filters.
pub fn total_line(t: &Tr, count: usize, fen: i64) -> String {
    t.fill(
        "list.total",
        &[
            ("count", &count.to_string()),
            ("amount", &display_yuan(fen)),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walking forward and back keeps the search and the page size, and lands on the rows.
    #[test]
    fn pages_of_a_short_list() {
        let rows: Vec<u32> = (1..=5).collect();
        let (shown, paging) = page_of(rows.clone(), "/console/x", &[("q", "a b")], "", "2");
        assert_eq!(shown, vec![1, 2]);
        assert_eq!(paging.number, 1);
        assert!(paging.first.is_none() && paging.previous.is_none());
        assert_eq!(
            paging.next.as_deref(),
            Some("/console/x?q=a+b&per=2&page=2")
        );
        let (shown, paging) = page_of(rows.clone(), "/console/x", &[], "3", "2");
        assert_eq!(shown, vec![5]);
        assert!(paging.next.is_none());
        assert_eq!(paging.previous.as_deref(), Some("/console/x?per=2&page=2"));
        assert_eq!(paging.first.as_deref(), Some("/console/x?per=2"));
        let (shown, paging) = page_of(rows, "/console/x", &[], "99", "");
        assert_eq!((shown.len(), paging.number), (5, 1));
    }

    #[test]
    fn a_search_finds_any_case_inside_any_text() {
        assert!(finds("", &["x"]));
        assert!(finds(" shop ", &["mch_1", "Tea SHOP"]));
        assert!(!finds("shop", &["mch_1", "Tea"]));
    }
}
