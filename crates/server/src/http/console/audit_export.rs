//! `GET /console/audit.csv?actor=&action=&from=&to=`: the audit entries the log's page finds,
//! on all its pages (up to `csv_export::MAX_ROWS`), as a CSV file for Excel. The download is
//! itself audited (`console.export`).

use super::csv_export::{self, MAX_ROWS};
use super::page::{self, local_time};
use super::session::SignedIn;
use super::views::{date_range, query_string};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use unipay_store::audit_search::AuditQuery;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/audit.csv", get(export))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    actor: String,
    action: String,
    from: String,
    to: String,
}

/// Rows read per query while the file is made.
const CHUNK: i64 = 500;

const HEADER: [&str; 7] = [
    "audit.at",
    "audit.actor",
    "audit.action",
    "audit.target",
    "audit.detail",
    "audit.from_address",
    "audit.outcome",
];

pub async fn export(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(filters): Query<Filters>,
) -> Response {
    // An unreadable date does not narrow, as on the page.
    let (from_ms, to_ms) = date_range(&filters.from, &filters.to).unwrap_or((None, None));
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut before: Option<(i64, String)> = None;
    loop {
        let query = AuditQuery {
            actor: filters.actor.trim(),
            action: filters.action.trim(),
            from_ms: from_ms.unwrap_or(0),
            to_ms: to_ms.unwrap_or(0),
            before: before.as_ref().map(|(at, id)| (*at, id.as_str())),
            limit: CHUNK,
        };
        let records = match state.store.search_audit(&query).await {
            Ok(records) => records,
            Err(error) => return page::failure(&error),
        };
        let full = records.len() as i64 == CHUNK;
        before = records.last().map(|r| (r.at, r.id.clone()));
        rows.extend(records.into_iter().map(|r| {
            vec![
                local_time(r.at),
                r.actor,
                r.action,
                r.target,
                r.detail,
                r.from_address,
                r.outcome,
            ]
        }));
        if !full || rows.len() >= MAX_ROWS {
            break;
        }
    }
    rows.truncate(MAX_ROWS);
    let body = csv_export::file(&signed.t, &HEADER, &rows);
    let filters = query_string(&[
        ("actor", &filters.actor),
        ("action", &filters.action),
        ("from", &filters.from),
        ("to", &filters.to),
    ]);
    csv_export::respond(&state, &signed, "audit", &filters, body, rows.len()).await
}
