//! `GET /console/payments.csv?<the list's filters>`: the payments the list finds, on all its
//! pages (up to `csv_export::MAX_ROWS`), as a CSV file for Excel.

use super::csv_export::{self, MAX_ROWS};
use super::names::Names;
use super::page::{self, local_time};
use super::session::SignedIn;
use super::views::{SearchParams, or_blank};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use unipay_core::money::format_yuan;
use unipay_store::payments::Payment;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/payments.csv", get(export))
}

const HEADER: [&str; 12] = [
    "payments.id",
    "payments.out_trade_no",
    "payment.subject",
    "payment.merchant",
    "payments.app",
    "payments.amount",
    "payments.status",
    "payment.payment_type",
    "payments.bank_serial",
    "payment.accounting_date",
    "payments.created",
    "payment.paid",
];

fn row(p: &Payment, names: &Names) -> Vec<String> {
    vec![
        p.id.clone(),
        p.out_trade_no.clone(),
        p.subject.clone(),
        names.merchant(&p.merchant_id),
        names.app(&p.app_id),
        format_yuan(p.amount.fen()),
        p.status.as_str().to_string(),
        or_blank(&p.payment_type),
        or_blank(&p.channel_trade_no),
        or_blank(&p.accounting_date),
        local_time(p.created_at),
        p.paid_at.map(local_time).unwrap_or_default(),
    ]
}

pub async fn export(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(mut params): Query<SearchParams>,
) -> Response {
    params.cursor.clear();
    let names = match Names::load(&state.store).await {
        Ok(names) => names,
        Err(error) => return page::failure(&error),
    };
    let mut rows = Vec::new();
    // Page by page, as the list does, until the last page or the bound.
    loop {
        let (search, _) = params.search();
        let found = match state.store.search_payments(&search).await {
            Ok(found) => found,
            Err(error) => return page::failure(&error),
        };
        rows.extend(found.rows.iter().map(|p| row(p, &names)));
        match found.next_cursor {
            Some(next) if rows.len() < MAX_ROWS => params.cursor = next.encode(),
            _ => break,
        }
    }
    rows.truncate(MAX_ROWS);
    let body = csv_export::file(&signed.t, &HEADER, &rows);
    csv_export::respond(
        &state,
        &signed,
        "payments",
        &params.filters(),
        body,
        rows.len(),
    )
    .await
}
