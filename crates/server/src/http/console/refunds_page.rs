//! `/console/refunds` and `/console/refund-batches`: search and detail, read-only (a refund is
//! asked for by the business system; the janitor settles every pending one).

use super::i18n::Tr;
use super::list_rows::{every_page, finds, page_of, total_line};
use super::page::{self, Layout, local_time};
use super::payments_page::{RefundRow, refund_row};
use super::session::SignedIn;
use super::views::{EntryView, Paging, cursor, or_blank, query_string, trail_paging};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use unipay_core::money::display_yuan;
use unipay_store::StoreError;
use unipay_store::browse::refunds::RefundSearch;
use unipay_store::refunds::Refund;
use unipay_store::refunds::batch::{RefundBatch, RefundBatchLine};
use unipay_store::refunds::transactions::Cursor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/refunds", get(list))
        .route("/console/refunds/{id}", get(detail))
        .route("/console/refund-batches", get(batches))
        .route("/console/refund-batches/{id}", get(batch))
}

const REFUND_STATUSES: [&str; 3] = ["pending", "succeeded", "failed"];
const BATCH_STATUSES: [&str; 4] = ["created", "submitted", "finished", "rejected"];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RefundParams {
    q: String,
    status: String,
    app: String,
    cursor: String,
    /// The cursors of the pages before (`views::SearchParams::trail`).
    trail: String,
    /// Rows a page shows (blank: the store's page).
    per: String,
}

#[derive(Template)]
#[template(path = "console/refunds.html")]
struct RefundsPage {
    layout: Layout,
    t: Tr,
    params: RefundParams,
    statuses: &'static [&'static str],
    rows: Vec<RefundRow>,
    paging: Paging,
    /// How many refunds the filters find on all pages, and their amount.
    total: String,
    /// The filters, for the CSV download.
    export_query: String,
}

/// `GET /console/refunds?q=&status=&app=&cursor=`
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<RefundParams>,
) -> Response {
    let after = cursor(&params.cursor);
    let search = RefundSearch {
        text: Some(params.q.trim()).filter(|q| !q.is_empty()),
        status: Some(params.status.trim()).filter(|s| !s.is_empty()),
        app_id: Some(params.app.trim()).filter(|a| !a.is_empty()),
        cursor: after.as_ref(),
        page_rows: per_page(&params.per),
    };
    let (found, totals) = match (
        state.store.search_refunds(&search).await,
        state.store.refund_search_totals(&search).await,
    ) {
        (Ok(found), Ok(totals)) => (found, totals),
        (Err(error), _) | (_, Err(error)) => return page::failure(&error),
    };
    let filters = [
        ("q", params.q.as_str()),
        ("status", params.status.as_str()),
        ("app", params.app.as_str()),
    ];
    let next = found.next_cursor.as_ref().map(|c| c.encode());
    // The page size rides along the page links, not the CSV's.
    let page_filters = [
        filters[0],
        filters[1],
        filters[2],
        ("per", params.per.as_str()),
    ];
    let paging = trail_paging(
        "/console/refunds",
        &page_filters,
        &params.cursor,
        &params.trail,
        next.as_deref(),
    );
    let export_query = query_string(&filters);
    let total = total_line(&signed.t, totals.count as usize, totals.amount_fen);
    let layout = Layout::new(&signed, "refunds", "refunds.title");
    page::render(&RefundsPage {
        t: layout.t,
        layout,
        export_query,
        params,
        statuses: &REFUND_STATUSES,
        rows: found.rows.iter().map(refund_row).collect(),
        paging,
        total,
    })
}

/// `?per=` as rows a page (at most 500); 0 for the store's page.
fn per_page(per: &str) -> i64 {
    per.trim().parse::<i64>().map_or(0, |n| n.clamp(0, 500))
}

pub struct RefundView {
    pub id: String,
    pub payment_id: String,
    pub app_id: String,
    pub out_refund_no: String,
    pub refund_no: String,
    pub amount: String,
    pub fee_returned: String,
    pub status: &'static str,
    pub reason: String,
    pub channel_refund_no: String,
    pub accounting_date: String,
    pub failure_reason: String,
    pub batch_id: String,
    pub created: String,
    pub finished: String,
    pub next_query: String,
}

fn refund_view(r: &Refund) -> RefundView {
    RefundView {
        id: r.id.clone(),
        payment_id: r.payment_id.clone(),
        app_id: r.app_id.clone(),
        out_refund_no: r.out_refund_no.clone(),
        refund_no: r.refund_no.clone(),
        amount: r.amount.to_display_yuan(),
        fee_returned: display_yuan(r.fee_returned),
        status: r.status.as_str(),
        reason: or_blank(&r.reason),
        channel_refund_no: or_blank(&r.channel_refund_no),
        accounting_date: or_blank(&r.accounting_date),
        failure_reason: or_blank(&r.failure_reason),
        batch_id: or_blank(&r.batch_id),
        created: local_time(r.created_at),
        finished: r.finished_at.map(local_time).unwrap_or_default(),
        next_query: r.next_query_at.map(local_time).unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "console/refund.html")]
struct RefundPage {
    layout: Layout,
    t: Tr,
    refund: RefundView,
    entries: Vec<EntryView>,
}

/// `GET /console/refunds/{id}`
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let refund = match state.store.get_refund(&id).await {
        Ok(Some(refund)) => refund,
        Ok(None) => return page::not_found(&signed),
        Err(error) => return page::failure(&error),
    };
    let entries = match state.store.entries_for(&refund.id).await {
        Ok(entries) => entries,
        Err(error) => return page::failure(&error),
    };
    let layout = Layout::new(&signed, "refunds", "refund.title");
    page::render(&RefundPage {
        t: layout.t,
        layout,
        refund: refund_view(&refund),
        entries: entries.iter().map(EntryView::of).collect(),
    })
}

pub struct BatchRow {
    pub id: String,
    pub app_id: String,
    pub out_batch_no: String,
    pub batch_no: String,
    pub status: &'static str,
    pub lines: i64,
    pub total: String,
    pub succeeded: String,
    pub failed: String,
    pub reason: String,
    pub created: String,
    pub finished: String,
}

fn batch_row(b: &RefundBatch) -> BatchRow {
    BatchRow {
        id: b.id.clone(),
        app_id: b.app_id.clone(),
        out_batch_no: b.out_batch_no.clone(),
        batch_no: b.batch_no.clone(),
        status: b.status.as_str(),
        lines: b.line_count,
        total: display_yuan(b.total_amount),
        succeeded: format!(
            "{} / {}",
            b.succeeded_count,
            display_yuan(b.succeeded_amount)
        ),
        failed: format!("{} / {}", b.failed_count, display_yuan(b.failed_amount)),
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
    pub page: String,
    pub per: String,
}

impl BatchParams {
    /// The filters (not the page), as query pairs.
    pub(crate) fn filters(&self) -> [(&'static str, &str); 2] {
        [("q", self.q.as_str()), ("status", self.status.as_str())]
    }
}

/// The refund batches the filters find, newest first.
pub(crate) async fn batches_found(
    state: &AppState,
    params: &BatchParams,
) -> Result<Vec<RefundBatch>, StoreError> {
    let status = Some(params.status.trim()).filter(|s| !s.is_empty());
    let batches = every_page(|cursor: Option<Cursor>| async move {
        state
            .store
            .list_refund_batches(status, cursor.as_ref())
            .await
    })
    .await?;
    Ok(batches
        .into_iter()
        .filter(|b| finds(&params.q, &[&b.id, &b.out_batch_no, &b.batch_no, &b.app_id]))
        .collect())
}

#[derive(Template)]
#[template(path = "console/refund_batches.html")]
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

/// `GET /console/refund-batches?q=&status=&page=&per=`
pub async fn batches(
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
    let path = "/console/refund-batches";
    let filters = params.filters();
    let export = format!("{path}.csv?{}", query_string(&filters));
    let (shown, paging) = page_of(found, path, &filters, &params.page, &params.per);
    let layout = Layout::new(&signed, "refund-batches", "refund_batches.title");
    page::render(&BatchesPage {
        t: layout.t,
        layout,
        params,
        statuses: &BATCH_STATUSES,
        rows: shown.iter().map(batch_row).collect(),
        paging,
        total,
        export,
    })
}

pub struct LineRow {
    pub seq_no: i64,
    pub refund_id: String,
    pub payment_id: String,
    pub out_refund_no: String,
    pub amount: String,
    pub status: &'static str,
    pub failure_reason: String,
}

fn line_row(l: &RefundBatchLine) -> LineRow {
    LineRow {
        seq_no: l.seq_no,
        refund_id: l.refund_id.clone(),
        payment_id: l.payment_id.clone(),
        out_refund_no: l.out_refund_no.clone(),
        amount: display_yuan(l.amount),
        status: l.status.as_str(),
        failure_reason: or_blank(&l.failure_reason),
    }
}

#[derive(Template)]
#[template(path = "console/refund_batch.html")]
struct BatchPage {
    layout: Layout,
    t: Tr,
    batch: BatchRow,
    lines: Vec<LineRow>,
}

/// `GET /console/refund-batches/{id}`
pub async fn batch(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let (batch, lines) = match state.store.get_refund_batch_with_lines(&id).await {
        Ok(Some(found)) => found,
        Ok(None) => return page::not_found(&signed),
        Err(error) => return page::failure(&error),
    };
    let layout = Layout::new(&signed, "refund-batches", "refund_batch.title");
    page::render(&BatchPage {
        t: layout.t,
        layout,
        batch: batch_row(&batch),
        lines: lines.iter().map(line_row).collect(),
    })
}
