//! `GET /console/refunds.csv?q=&status=&app=`: the refunds the list finds, on all its pages (up
//! to `csv_export::MAX_ROWS`), as a CSV file for Excel.

use super::csv_export::{self, MAX_ROWS};
use super::names::Names;
use super::page::{self, local_time};
use super::session::SignedIn;
use super::views::{or_blank, query_string};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use unipay_core::money::format_yuan;
use unipay_store::browse::refunds::RefundSearch;
use unipay_store::refunds::Refund;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/refunds.csv", get(export))
}

/// The refunds list's filters (its page cursor is not one).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filters {
    q: String,
    status: String,
    app: String,
}

const HEADER: [&str; 11] = [
    "refunds.id",
    "refunds.out_refund_no",
    "notifications.payment",
    "payment.merchant",
    "payments.app",
    "payments.amount",
    "payments.status",
    "payment.accounting_date",
    "refund.reason",
    "payments.created",
    "refund.finished",
];

fn row(r: &Refund, names: &Names) -> Vec<String> {
    vec![
        r.id.clone(),
        r.out_refund_no.clone(),
        r.payment_id.clone(),
        names.merchant(&r.merchant_id),
        names.app(&r.app_id),
        format_yuan(r.amount.fen()),
        r.status.as_str().to_string(),
        or_blank(&r.accounting_date),
        or_blank(&r.reason),
        local_time(r.created_at),
        r.finished_at.map(local_time).unwrap_or_default(),
    ]
}

pub async fn export(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(filters): Query<Filters>,
) -> Response {
    let names = match Names::load(&state.store).await {
        Ok(names) => names,
        Err(error) => return page::failure(&error),
    };
    let given = |text: &str| {
        Some(text.trim())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
    };
    let (text, status, app) = (
        given(&filters.q),
        given(&filters.status),
        given(&filters.app),
    );
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let search = RefundSearch {
            text: text.as_deref(),
            status: status.as_deref(),
            app_id: app.as_deref(),
            cursor: cursor.as_ref(),
            page_rows: 0,
        };
        let found = match state.store.search_refunds(&search).await {
            Ok(found) => found,
            Err(error) => return page::failure(&error),
        };
        rows.extend(found.rows.iter().map(|r| row(r, &names)));
        match found.next_cursor {
            Some(next) if rows.len() < MAX_ROWS => cursor = Some(next),
            _ => break,
        }
    }
    rows.truncate(MAX_ROWS);
    let body = csv_export::file(&signed.t, &HEADER, &rows);
    let filters = query_string(&[
        ("q", &filters.q),
        ("status", &filters.status),
        ("app", &filters.app),
    ]);
    csv_export::respond(&state, &signed, "refunds", &filters, body, rows.len()).await
}
