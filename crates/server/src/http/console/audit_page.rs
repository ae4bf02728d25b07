//! `/console/audit`: the audit log, newest first, filtered by actor, action and dates (UTC+8),
//! a page at a time.

use super::i18n::Tr;
use super::list_rows::count_line;
use super::page::{self, Layout, day_start_ms, local_time};
use super::session::SignedIn;
use super::views::{Paging, trail_paging};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use unipay_store::audit::AuditRecord;
use unipay_store::audit_search::AuditQuery;

const PAGE_SIZE: i64 = 50;
const DAY_MS: i64 = 86_400_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/audit", get(show))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditParams {
    actor: String,
    action: String,
    from: String,
    to: String,
    cursor: String,
    /// The cursors of the pages before (`views::SearchParams::trail`).
    trail: String,
}

impl AuditParams {
    /// The filters (not the page), for the CSV download's link.
    pub fn export_query(&self) -> String {
        super::views::query_string(&[
            ("actor", &self.actor),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ])
    }
}

pub struct Row {
    pub at: String,
    pub record: AuditRecord,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    layout: Layout,
    t: Tr,
    params: AuditParams,
    rows: Vec<Row>,
    paging: Paging,
    /// How many records the filters find on all pages.
    total: String,
    bad_date: bool,
    /// The actions to filter by, `(code, word)`, in the order of their words: chosen, never
    /// typed as codes.
    actions: Vec<(&'static str, String)>,
}

/// `GET /console/audit?actor=&action=&from=&to=&cursor=`
pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<AuditParams>,
) -> Response {
    let from_ms = bound(&params.from, 0);
    let to_ms = bound(&params.to, DAY_MS);
    let bad_date = from_ms.is_none() || to_ms.is_none();
    let cursor = parse_cursor(&params.cursor);
    let query = AuditQuery {
        actor: params.actor.trim(),
        action: params.action.trim(),
        from_ms: from_ms.unwrap_or(0),
        to_ms: to_ms.unwrap_or(0),
        before: cursor.as_ref().map(|(at, id)| (*at, id.as_str())),
        limit: PAGE_SIZE,
    };
    let (records, count) = match tokio::try_join!(
        state.store.search_audit(&query),
        state.store.count_audit(&query)
    ) {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let total = count_line(&signed.t, usize::try_from(count).unwrap_or(0));
    let next = (records.len() as i64 == PAGE_SIZE)
        .then(|| records.last())
        .flatten()
        .map(|last| format!("{}{CURSOR_JOIN}{}", last.at, last.id));
    let paging = trail_paging(
        "/console/audit",
        &[
            ("actor", params.actor.as_str()),
            ("action", params.action.as_str()),
            ("from", params.from.as_str()),
            ("to", params.to.as_str()),
        ],
        &params.cursor,
        &params.trail,
        next.as_deref(),
    );
    let rows = records
        .into_iter()
        .map(|record| Row {
            at: local_time(record.at),
            record,
        })
        .collect();
    let mut actions: Vec<(&'static str, String)> = super::words::vocabulary::ACTIONS
        .iter()
        .map(|code| (*code, signed.t.word("action", code)))
        .collect();
    actions.sort_by(|a, b| a.1.cmp(&b.1));
    let layout = Layout::new(&signed, "audit", "audit.title");
    page::render(&AuditPage {
        t: layout.t,
        layout,
        params,
        rows,
        paging,
        total,
        bad_date,
        actions,
    })
}

/// A day's start (plus `shift`, to make the `to` day inclusive); blank is no bound (`Some(0)`).
fn bound(date: &str, shift: i64) -> Option<i64> {
    let date = date.trim();
    if date.is_empty() {
        return Some(0);
    }
    day_start_ms(date).map(|ms| ms + shift)
}

/// Between a cursor's time and id (not `.`, which joins a page trail's cursors).
const CURSOR_JOIN: char = '~';

/// `at~id`, as the previous page wrote it.
fn parse_cursor(cursor: &str) -> Option<(i64, String)> {
    let (at, id) = cursor.split_once(CURSOR_JOIN)?;
    Some((at.parse().ok()?, id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_cursors() {
        assert_eq!(bound("", 5), Some(0));
        assert_eq!(bound("1970-01-02", 0), Some(DAY_MS - 8 * 3_600_000));
        assert_eq!(bound("2026-13-01", 0), None);
        assert_eq!(parse_cursor("12~aud_x"), Some((12, "aud_x".into())));
        assert_eq!(parse_cursor("x~aud"), None);
        assert_eq!(parse_cursor(""), None);
    }
}
