//! `/console/debit-batches`: the batches of debits from mandates, newest first (searched,
//! counted, summed and paged as `list_rows` says), and one page
//! per batch with its totals and each line's result, linked to its payment. Read-only: a
//! batch is asked for by the business system and the janitor follows it to the end.

use super::i18n::Tr;
use super::list_rows::{every_page, finds, page_of, total_line};
use super::page::{self, Layout, local_time};
use super::session::SignedIn;
use super::views::{Paging, or_blank, query_string};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use unipay_core::money::display_yuan;
use unipay_core::payment::PaymentStatus;
use unipay_store::StoreError;
use unipay_store::mandates::batches::{DebitBatch, DebitBatchLine};
use unipay_store::refunds::transactions::Cursor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/debit-batches", get(list))
        .route("/console/debit-batches/{id}", get(detail))
}

const STATUSES: [&str; 4] = ["created", "submitted", "finished", "rejected"];

pub struct BatchRow {
    pub id: String,
    pub app_id: String,
    pub out_batch_no: String,
    pub batch_no: String,
    pub status: &'static str,
    pub lines: i64,
    pub total: String,
    pub serial_number: String,
    pub batch_date: String,
    pub reason: String,
    pub created: String,
    pub finished: String,
}

fn batch_row(b: &DebitBatch) -> BatchRow {
    BatchRow {
        id: b.id.clone(),
        app_id: b.app_id.clone(),
        out_batch_no: b.out_batch_no.clone(),
        batch_no: b.batch_no.clone(),
        status: b.status.as_str(),
        lines: b.line_count,
        total: display_yuan(b.total_amount),
        serial_number: or_blank(&b.serial_number),
        batch_date: or_blank(&b.batch_date),
        reason: or_blank(&b.reason),
        created: local_time(b.created_at),
        finished: b.finished_at.map(local_time).unwrap_or_default(),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct BatchParams {
    /// Contained in the batch id, the business system's or the bank's batch number, or the app.
    pub q: String,
    pub status: String,
    pub app: String,
    pub page: String,
    pub per: String,
}

impl BatchParams {
    /// The filters (not the page), as query pairs.
    pub(crate) fn filters(&self) -> [(&'static str, &str); 3] {
        [
            ("q", self.q.as_str()),
            ("status", self.status.as_str()),
            ("app", self.app.as_str()),
        ]
    }
}

/// The batches the filters find, newest first.
pub(crate) async fn batches_found(
    state: &AppState,
    params: &BatchParams,
) -> Result<Vec<DebitBatch>, StoreError> {
    let status = Some(params.status.trim()).filter(|s| !s.is_empty());
    let app = Some(params.app.trim()).filter(|a| !a.is_empty());
    let batches = every_page(|cursor: Option<Cursor>| async move {
        state
            .store
            .list_debit_batches(status, app, cursor.as_ref())
            .await
    })
    .await?;
    Ok(batches
        .into_iter()
        .filter(|b| finds(&params.q, &[&b.id, &b.out_batch_no, &b.batch_no, &b.app_id]))
        .collect())
}

#[derive(Template)]
#[template(path = "console/debit_batches.html")]
struct BatchesPage {
    layout: Layout,
    t: Tr,
    params: BatchParams,
    statuses: &'static [&'static str],
    rows: Vec<BatchRow>,
    paging: Paging,
    /// How many batches the filters find and their amount.
    total: String,
    export: String,
}

/// `GET /console/debit-batches?q=&status=&app=&page=&per=`
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<BatchParams>,
) -> Response {
    let found = match batches_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let total = total_line(
        &signed.t,
        found.len(),
        found.iter().map(|b| b.total_amount).sum(),
    );
    let path = "/console/debit-batches";
    let filters = params.filters();
    let export = format!("{path}.csv?{}", query_string(&filters));
    let (shown, paging) = page_of(found, path, &filters, &params.page, &params.per);
    let layout = Layout::new(&signed, "debit-batches", "debit_batches.title");
    page::render(&BatchesPage {
        t: layout.t,
        layout,
        params,
        statuses: &STATUSES,
        rows: shown.iter().map(batch_row).collect(),
        paging,
        total,
        export,
    })
}

pub struct LineRow {
    pub seq_no: i64,
    pub payment_id: String,
    pub mandate_id: String,
    pub out_trade_no: String,
    pub amount: String,
    pub status: &'static str,
    pub channel_trade_no: String,
    pub failure_reason: String,
}

fn line_row(l: &DebitBatchLine) -> LineRow {
    LineRow {
        seq_no: l.seq_no,
        payment_id: l.payment_id.clone(),
        mandate_id: l.mandate_id.clone(),
        out_trade_no: l.out_trade_no.clone(),
        amount: display_yuan(l.amount),
        status: l.status.as_str(),
        channel_trade_no: or_blank(&l.channel_trade_no),
        failure_reason: or_blank(&l.failure_reason),
    }
}

/// How many lines (and how much) ended each way.
pub struct Totals {
    pub succeeded: String,
    pub failed: String,
    pub waiting: String,
}

fn totals(lines: &[DebitBatchLine]) -> Totals {
    let mut sums = [(0_i64, 0_i64); 3];
    for line in lines {
        let slot = match line.status {
            PaymentStatus::Succeeded => 0,
            PaymentStatus::Failed => 1,
            _ => 2,
        };
        sums[slot].0 += 1;
        sums[slot].1 += line.amount;
    }
    let show = |(count, amount): (i64, i64)| format!("{count} / {}", display_yuan(amount));
    Totals {
        succeeded: show(sums[0]),
        failed: show(sums[1]),
        waiting: show(sums[2]),
    }
}

#[derive(Template)]
#[template(path = "console/debit_batch.html")]
struct BatchPage {
    layout: Layout,
    t: Tr,
    batch: BatchRow,
    totals: Totals,
    lines: Vec<LineRow>,
}

/// `GET /console/debit-batches/{id}`
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let batch = match state.store.get_debit_batch(&id).await {
        Ok(Some(batch)) => batch,
        Ok(None) => return page::not_found(&signed),
        Err(error) => return page::failure(&error),
    };
    let lines = match state.store.debit_batch_lines(&batch.id).await {
        Ok(lines) => lines,
        Err(error) => return page::failure(&error),
    };
    let layout = Layout::new(&signed, "debit-batches", "debit_batch.title");
    page::render(&BatchPage {
        t: layout.t,
        layout,
        batch: batch_row(&batch),
        totals: totals(&lines),
        lines: lines.iter().map(line_row).collect(),
    })
}
