//! `/console/settlement`: batches by date and merchant, one batch's lines, and finance's review
//! (approve, mark paid, cancel) through the store functions `unipay settle` uses: the batch,
//! its ledger entry and the audit entry commit together, and of two people acting at once only
//! one moves it. The batch's file is handed out only while it matches its recorded SHA-256.

use super::ConsoleForm;
use super::i18n::Tr;
use super::list_rows::{page_of, total_line};
use super::page::{self, Flash, Layout, local_time};
use super::recon_page::download;
use super::recon_page::{ItemRow, item_row};
use super::roles::Permission;
use super::session::SignedIn;
use super::views::{Paging, query_string};
use crate::flows::books::is_date;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use unipay_core::calendar::AccountingDate;
use unipay_core::money::display_yuan;
use unipay_store::StoreError;
use unipay_store::browse::settlement::SettlementFile;
use unipay_store::recon::{ItemFilter, ItemStatus, ReconItem};
use unipay_store::settlement::{BatchChange, BatchStatus, SettlementBatch, SettlementLine};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/settlement", get(list))
        .route("/console/settlement/{id}", get(detail))
        .route("/console/settlement/{id}/approve", post(approve))
        .route("/console/settlement/{id}/mark-paid", post(mark_paid))
        .route("/console/settlement/{id}/cancel", post(cancel))
        .route("/console/settlement/{id}/file", get(file))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettlementParams {
    date: String,
    merchant: String,
    /// A batch status (the dashboard's "to review" tile links `pending_review`).
    status: String,
    page: String,
    per: String,
}

impl SettlementParams {
    /// The filters (not the page), as query pairs.
    pub(crate) fn filters(&self) -> [(&'static str, &str); 3] {
        [
            ("date", self.date.as_str()),
            ("merchant", self.merchant.as_str()),
            ("status", self.status.as_str()),
        ]
    }
}

/// The batches the filters find, newest date first (the review queue on top), and whether
/// the date did not read (then it does not narrow).
pub(crate) async fn batches_found(
    state: &AppState,
    params: &SettlementParams,
) -> Result<(Vec<SettlementBatch>, bool), StoreError> {
    let date = params.date.trim();
    let bad_date = !date.is_empty() && !is_date(date);
    let date = (!date.is_empty() && !bad_date).then_some(date);
    let merchant = Some(params.merchant.trim()).filter(|m| !m.is_empty());
    let status = params.status.trim();
    let mut batches = state.store.list_batches(date, merchant).await?;
    batches.reverse();
    batches.retain(|b| status.is_empty() || b.status.as_str() == status);
    Ok((batches, bad_date))
}

pub struct BatchRow {
    pub id: String,
    pub merchant_id: String,
    pub date: String,
    pub generation: i64,
    pub status: &'static str,
    pub payments: i64,
    pub payments_yuan: String,
    pub refunds: i64,
    pub refunds_yuan: String,
    pub fees_yuan: String,
    pub net_yuan: String,
    pub file_sha256: String,
    pub created: String,
    pub approved: String,
    pub paid: String,
    pub cancelled: String,
}

fn who_when(by: &Option<String>, at: Option<i64>) -> String {
    match (by, at) {
        (Some(by), Some(at)) => format!("{by} · {}", local_time(at)),
        _ => String::new(),
    }
}

fn batch_row(b: &SettlementBatch) -> BatchRow {
    BatchRow {
        id: b.id.clone(),
        merchant_id: b.merchant_id.clone(),
        date: b.accounting_date.clone(),
        generation: b.generation,
        status: b.status.as_str(),
        payments: b.payments,
        payments_yuan: display_yuan(b.payments_fen),
        refunds: b.refunds,
        refunds_yuan: display_yuan(b.refunds_fen),
        fees_yuan: display_yuan(b.fees_fen),
        net_yuan: display_yuan(b.net_fen),
        file_sha256: b.file_sha256.clone(),
        created: local_time(b.created_at),
        approved: who_when(&b.approved_by, b.approved_at),
        paid: who_when(&b.paid_by, b.paid_at),
        cancelled: who_when(&b.cancelled_by, b.cancelled_at),
    }
}

#[derive(Template)]
#[template(path = "console/settlement.html")]
struct SettlementPage {
    layout: Layout,
    t: Tr,
    params: SettlementParams,
    rows: Vec<BatchRow>,
    paging: Paging,
    /// How many batches the filters find and their net amount.
    total: String,
    export: String,
    may_download: bool,
    bad_date: bool,
    may_create: bool,
    /// The date the create form offers: the one searched, or yesterday (Beijing time).
    create_date: String,
}

/// `GET /console/settlement?date=&merchant=`
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<SettlementParams>,
) -> Response {
    let (batches, bad_date) = match batches_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let net: i64 = batches.iter().map(|b| b.net_fen).sum();
    let total = total_line(&signed.t, batches.len(), net);
    let path = "/console/settlement";
    let filters = params.filters();
    let export = format!("{path}.csv?{}", query_string(&filters));
    let (batches, paging) = page_of(batches, path, &filters, &params.page, &params.per);
    let rows = batches.iter().map(batch_row).collect();
    let date = params.date.trim();
    let date = (!date.is_empty() && !bad_date).then_some(date);
    let create_date = match date {
        Some(date) => date.to_string(),
        None => yesterday(state.now_ms()),
    };
    let layout = Layout::new(&signed, "settlement", "settlement.title");
    page::render(&SettlementPage {
        t: layout.t,
        layout,
        params,
        rows,
        paging,
        total,
        export,
        may_download: signed.can(Permission::DownloadFiles),
        bad_date,
        may_create: signed.can(Permission::RunBooks),
        create_date,
    })
}

/// The Beijing date before the one of `now_ms`: the day finance settles by default.
pub fn yesterday(now_ms: i64) -> String {
    AccountingDate::of_instant(now_ms)
        .and_then(|date| date.add_days(-1))
        .map(|date| date.to_string())
        .unwrap_or_default()
}

pub struct LineRow {
    pub channel_account_id: String,
    /// The channel account's bank (its channel code): a batch sums the money of every bank.
    pub bank_code: String,
    pub payments: i64,
    pub payments_yuan: String,
    pub refunds: i64,
    pub refunds_yuan: String,
    pub fees_yuan: String,
    pub net_yuan: String,
}

fn line_row(l: &SettlementLine) -> LineRow {
    LineRow {
        channel_account_id: l.channel_account_id.clone(),
        bank_code: String::new(),
        payments: l.payments,
        payments_yuan: display_yuan(l.payments_fen),
        refunds: l.refunds,
        refunds_yuan: display_yuan(l.refunds_fen),
        fees_yuan: display_yuan(l.fees_fen),
        net_yuan: display_yuan(l.net_fen),
    }
}

#[derive(Template)]
#[template(path = "console/settlement_batch.html")]
struct BatchPage {
    layout: Layout,
    t: Tr,
    batch: BatchRow,
    lines: Vec<LineRow>,
    may_review: bool,
    may_download: bool,
    can_approve: bool,
    can_mark_paid: bool,
    can_cancel: bool,
    /// Reconciliation differences of the batch's date and channel accounts that were open
    /// when the batch was made (decided since or not).
    open_items: Vec<ItemRow>,
}

/// `GET /console/settlement/{id}`
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let batch = match state.store.get_batch(&id).await {
        Ok(Some(batch)) => batch,
        Ok(None) => return page::not_found(&signed),
        Err(error) => return page::failure(&error),
    };
    let lines = match state.store.batch_lines(&id).await {
        Ok(lines) => lines,
        Err(error) => return page::failure(&error),
    };
    let banks: std::collections::HashMap<String, String> =
        match state.store.list_channel_accounts().await {
            Ok(accounts) => accounts.into_iter().map(|a| (a.id, a.channel)).collect(),
            Err(error) => return page::failure(&error),
        };
    let open_items = match open_when_made(&state, &batch, &lines).await {
        Ok(items) => items.iter().map(item_row).collect(),
        Err(error) => return page::failure(&error),
    };
    let row = batch_row(&batch);
    let layout = Layout::new(&signed, "settlement", "settlement.batch_title");
    page::render(&BatchPage {
        t: layout.t,
        layout,
        can_approve: row.status == "pending_review",
        can_mark_paid: row.status == "approved",
        can_cancel: matches!(row.status, "pending_review" | "approved"),
        batch: row,
        lines: lines
            .iter()
            .map(|l| LineRow {
                bank_code: banks
                    .get(&l.channel_account_id)
                    .cloned()
                    .unwrap_or_default(),
                ..line_row(l)
            })
            .collect(),
        may_review: signed.can(Permission::ReviewSettlement),
        may_download: signed.can(Permission::DownloadFiles),
        open_items,
    })
}

/// The differences a batch was made over: items of its date on its channel accounts that
/// existed when it was made and were not decided before.
async fn open_when_made(
    state: &AppState,
    batch: &SettlementBatch,
    lines: &[SettlementLine],
) -> Result<Vec<ReconItem>, unipay_store::StoreError> {
    let mut found = Vec::new();
    for line in lines {
        let items = state
            .store
            .list_recon_items(&ItemFilter {
                accounting_date: Some(&batch.accounting_date),
                channel_account_id: Some(&line.channel_account_id),
                pending_only: false,
            })
            .await?;
        found.extend(items.into_iter().filter(|item| {
            item.class != "matched"
                && item.created_at <= batch.created_at
                && item.resolved_at.is_none_or(|at| at > batch.created_at)
                && !matches!(item.status, ItemStatus::Fixed)
        }));
    }
    Ok(found)
}

#[derive(Clone, Copy)]
enum Step {
    Approve,
    MarkPaid,
    Cancel,
}

async fn review(
    state: AppState,
    id: String,
    form: ConsoleForm,
    step: Step,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    signed
        .require(&state, Permission::ReviewSettlement, &id)
        .await?;
    let back = format!("/console/settlement/{id}");
    let note = fields.get("note");
    let now = state.now_ms();
    let store = &state.store;
    let (actor, from) = (signed.username.as_str(), signed.from_address.as_str());
    let (change, done) = match step {
        Step::Approve => (
            store.approve_batch(&id, actor, from, note, now).await,
            "flash.approved",
        ),
        Step::MarkPaid => (
            store
                .mark_batch_paid(
                    &id,
                    actor,
                    from,
                    note,
                    now,
                    state.config.console.separate_settlement_duties,
                )
                .await,
            "flash.marked_paid",
        ),
        Step::Cancel => {
            if note.is_none() {
                return Ok(page::redirect_with(
                    &back,
                    Flash::Error("flash.note_required"),
                ));
            }
            (
                store.cancel_batch(&id, actor, from, note, now).await,
                "flash.cancelled",
            )
        }
    };
    match change {
        Ok(BatchChange::Changed { .. }) => Ok(page::redirect_with(&back, Flash::Ok(done))),
        Ok(BatchChange::Refused(batch))
            if batch.status == BatchStatus::Approved
                && batch.approved_by.as_deref() == Some(actor)
                && matches!(step, Step::MarkPaid) =>
        {
            // Audited by the store with the refusal.
            Ok(page::redirect_with(
                &back,
                Flash::Error("flash.same_approver"),
            ))
        }
        Ok(BatchChange::Refused(batch)) => {
            let detail = format!("refused: batch is {}", batch.status.as_str());
            signed
                .audit(&state, "settlement.review", &id, &detail, "refused")
                .await;
            Ok(page::redirect_with(
                &back,
                Flash::Error("flash.batch_refused"),
            ))
        }
        Ok(BatchChange::NotFound) => Ok(page::not_found(&signed)),
        Err(error) => Ok(page::failure(&error)),
    }
}

/// `POST /console/settlement/{id}/approve`
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    review(state, id, form, Step::Approve).await
}

/// `POST /console/settlement/{id}/mark-paid`
pub async fn mark_paid(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    review(state, id, form, Step::MarkPaid).await
}

/// `POST /console/settlement/{id}/cancel` (`note` required)
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    review(state, id, form, Step::Cancel).await
}

/// `GET /console/settlement/{id}/file`: the settlement CSV.
pub async fn file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::DownloadFiles, &id)
        .await?;
    match state.store.settlement_file(&id).await {
        Ok(SettlementFile::File { csv, sha256 }) => {
            signed
                .audit(&state, "settlement.download", &id, &sha256, "ok")
                .await;
            Ok(download(
                csv.into_bytes(),
                "text/csv; charset=utf-8",
                &format!("settlement-{id}.csv"),
            ))
        }
        Ok(SettlementFile::Tampered) => {
            signed
                .audit(
                    &state,
                    "settlement.download",
                    &id,
                    "file does not match its SHA-256",
                    "refused",
                )
                .await;
            Ok(page::failure(&format!(
                "settlement file of {id} does not match its SHA-256"
            )))
        }
        Ok(SettlementFile::NotFound) => Ok(page::not_found(&signed)),
        Err(error) => Ok(page::failure(&error)),
    }
}
