//! Small view models the operational pages share: a ledger entry as rows of text, a cursor
//! link, a date filter.

use super::page::day_start_ms;
use serde::Deserialize;
use unipay_core::money::display_yuan;
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
                .map(|p| (p.account.to_string(), display_yuan(p.amount)))
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

/// Yuan as people type them (`¥1,234.5`) in fen: `Ok(None)` when blank, `Err` when unreadable.
pub fn read_yuan(text: &str) -> Result<Option<i64>, ()> {
    let text: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if text.is_empty() {
        return Ok(None);
    }
    unipay_core::money::parse_yuan_to_fen(&text)
        .map(Some)
        .map_err(|_| ())
}

/// An optional text, or an empty string.
pub fn or_blank(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

/// The query of a search page: `?q=&status=&app=&amount=&from=&to=&cursor=&trail=`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchParams {
    pub q: String,
    pub status: String,
    pub app: String,
    pub from: String,
    pub to: String,
    /// Yuan, exactly (`12.5`, `1,234.00`); the searches over money only.
    pub amount: String,
    pub cursor: String,
    /// The cursors that started the pages before this one (`0` for the first), `.`-joined:
    /// how "previous" and the page number work over keyset paging without counting rows.
    pub trail: String,
    /// A named set of payments (`reached_bank`, `awaiting_result`, `late_success`): what a
    /// dashboard tile counts.
    pub set: String,
}

/// Where the page links of a list lead: each a whole `path?query`.
#[derive(Debug, Clone, Default)]
pub struct Paging {
    /// 1 for the first page.
    pub number: usize,
    pub first: Option<String>,
    pub previous: Option<String>,
    pub next: Option<String>,
}

/// The most earlier pages a trail remembers (a deeper reader narrows the search or exports).
const MAX_TRAIL: usize = 200;

/// The first-page marker in a trail.
const FIRST: &str = "0";

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
            amount_fen: self.amount_fen().ok().flatten(),
            from_ms,
            to_ms,
            cursor: cursor(&self.cursor),
            set: PaymentSet::parse(self.set.trim()),
        };
        (search, bad_date)
    }

    /// The amount filter in fen: `Ok(None)` when blank, `Err` when it does not read as yuan
    /// (then it does not narrow, and the page says so).
    pub fn amount_fen(&self) -> Result<Option<i64>, ()> {
        read_yuan(&self.amount)
    }

    /// The filters alone (no page), as a query string: the CSV export's and "first page"'s.
    pub fn filters(&self) -> String {
        self.query(&[])
    }

    fn query(&self, page: &[(&str, &str)]) -> String {
        let mut pairs = vec![
            ("q", self.q.as_str()),
            ("status", self.status.as_str()),
            ("app", self.app.as_str()),
            ("amount", self.amount.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ];
        pairs.extend_from_slice(page);
        query_string(&pairs)
    }

    /// First / previous / next of the list at `path`, given where the next page starts.
    pub fn paging(&self, path: &str, next: Option<&Cursor>) -> Paging {
        let filters = [
            ("q", self.q.as_str()),
            ("status", self.status.as_str()),
            ("app", self.app.as_str()),
            ("amount", self.amount.as_str()),
            ("from", self.from.as_str()),
            ("to", self.to.as_str()),
        ];
        let next = next.map(Cursor::encode);
        trail_paging(path, &filters, &self.cursor, &self.trail, next.as_deref())
    }
}

/// First / previous / next of a keyset-paged list at `path` with these `filters`: `cursor`
/// starts the page shown, `trail` holds the cursors that started the pages before it (see
/// [`SearchParams::trail`]; a cursor must not hold a `.`), `next` starts the next page.
pub fn trail_paging(
    path: &str,
    filters: &[(&str, &str)],
    cursor: &str,
    trail: &str,
    next: Option<&str>,
) -> Paging {
    let trail: Vec<&str> = trail
        .split('.')
        .filter(|c| !c.is_empty())
        .take(MAX_TRAIL)
        .collect();
    let href = |page: &[(&str, &str)]| {
        let mut pairs = filters.to_vec();
        pairs.extend_from_slice(page);
        let query = query_string(&pairs);
        if query.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{query}")
        }
    };
    let on_first = cursor.trim().is_empty();
    let previous = trail.split_last().map(|(last, earlier)| {
        let cursor = if *last == FIRST { "" } else { last };
        href(&[("cursor", cursor), ("trail", &earlier.join("."))])
    });
    let next = next.filter(|_| trail.len() < MAX_TRAIL).map(|next| {
        let here = if on_first { FIRST } else { cursor.trim() };
        let mut longer = trail.clone();
        longer.push(here);
        href(&[("cursor", next), ("trail", &longer.join("."))])
    });
    Paging {
        number: if on_first {
            1
        } else {
            (trail.len() + 1).max(2)
        },
        first: (!on_first).then(|| href(&[])),
        previous: if on_first { None } else { previous },
        next,
    }
}

/// A filter's text, trimmed; `None` when blank.
fn given(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(n: i64) -> Cursor {
        Cursor {
            created_at: n,
            id: format!("pay_{n}"),
        }
    }

    fn params(query: &str) -> SearchParams {
        let uri: axum::http::Uri = format!("/x?{query}").parse().expect("a URI");
        axum::extract::Query::<SearchParams>::try_from_uri(&uri)
            .expect("reads")
            .0
    }

    /// Paging forward twice and back once lands where it was, with the filters kept.
    #[test]
    fn first_previous_next_walk_the_pages() {
        let first = params("q=ORD&amount=1%2C234.50");
        let one = first.paging("/console/payments", Some(&cursor(3)));
        assert_eq!(one.number, 1);
        assert!(one.first.is_none() && one.previous.is_none());
        let next = one.next.expect("a next page");
        assert!(next.starts_with("/console/payments?q=ORD&amount=1%2C234.50&cursor="));

        let second = params(next.split_once('?').expect("a query").1);
        let two = second.paging("/console/payments", Some(&cursor(2)));
        assert_eq!(two.number, 2);
        assert_eq!(
            two.first.as_deref(),
            Some("/console/payments?q=ORD&amount=1%2C234.50")
        );
        assert_eq!(
            two.previous.as_deref(),
            Some("/console/payments?q=ORD&amount=1%2C234.50")
        );

        let third = params(
            two.next
                .expect("a third page")
                .split_once('?')
                .expect("q")
                .1,
        );
        let three = third.paging("/console/payments", None);
        assert_eq!(three.number, 3);
        assert!(three.next.is_none());
        let back = params(three.previous.expect("back").split_once('?').expect("q").1);
        assert_eq!(back.cursor, second.cursor);
        assert_eq!(back.paging("/console/payments", None).number, 2);
    }

    #[test]
    fn amounts_read_as_people_type_them() {
        assert_eq!(params("amount=1%2C234.5").amount_fen(), Ok(Some(123_450)));
        assert_eq!(params("amount=%C2%A512").amount_fen(), Ok(Some(1_200)));
        assert_eq!(params("amount=").amount_fen(), Ok(None));
        assert!(params("amount=12.345").amount_fen().is_err());
        assert!(params("amount=abc").amount_fen().is_err());
    }
}
