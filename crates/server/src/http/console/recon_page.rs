//! `/console/recon?date=`: per accounting date both sides' figures, every difference by class,
//! and the operator's decision on one (`books::recon::resolve_item`, the command line's own:
//! the item, its adjustment entry and the audit entry commit together); the statements of the
//! date with their files exactly as the bank delivered them.

use super::i18n::Tr;
use super::list_rows::{finds, page_of};
use super::page::{self, Flash, Layout, local_time};
use super::roles::Permission;
use super::session::SignedIn;
use super::views::{Paging, or_blank, query_string};
use super::{ConsoleForm, FormFields};
use crate::flows::books::recon::resolve_item;
use crate::flows::books::{BooksError, is_date};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use unipay_core::money::display_yuan;
use unipay_store::StoreError;
use unipay_store::recon::{Decision, ItemFilter, ReconDay, ReconItem, ResolveOutcome};
use unipay_store::statements::StoredStatement;

/// Days listed when no date is chosen.
const RECENT_DAYS: usize = 30;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/recon", get(show))
        .route("/console/recon/items/{id}/resolve", post(resolve))
        .route("/console/statements/{id}/file", get(statement_file))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReconParams {
    date: String,
    /// Part of an item's id, order number, payment id, bank serial or class.
    q: String,
    page: String,
    per: String,
    /// A bank's channel code (`abc`, `unionpay`): only its channel accounts' days, items and
    /// statements; empty for every bank.
    bank: String,
}

impl ReconParams {
    /// The date if it reads (else `None`), and whether one was given that did not.
    fn chosen(&self) -> (Option<&str>, bool) {
        let date = self.date.trim();
        let bad_date = !date.is_empty() && !is_date(date);
        ((!date.is_empty() && !bad_date).then_some(date), bad_date)
    }

    /// The item filters (not the page), as query pairs.
    pub(crate) fn filters(&self) -> [(&'static str, &str); 3] {
        [
            ("date", self.date.as_str()),
            ("q", self.q.as_str()),
            ("bank", self.bank.as_str()),
        ]
    }
}

/// The differences the filters find (no date: every pending one), class by class.
pub(crate) async fn items_found(
    state: &AppState,
    params: &ReconParams,
) -> Result<Vec<ReconItem>, StoreError> {
    let (chosen, _) = params.chosen();
    let filter = ItemFilter {
        accounting_date: chosen,
        channel_account_id: None,
        pending_only: chosen.is_none(),
    };
    let mut items = state.store.list_recon_items(&filter).await?;
    let bank = params.bank.trim();
    if !bank.is_empty() {
        let of_bank: std::collections::HashSet<String> = state
            .store
            .list_channel_accounts()
            .await?
            .into_iter()
            .filter(|a| a.channel == bank)
            .map(|a| a.id)
            .collect();
        items.retain(|i| of_bank.contains(&i.channel_account_id));
    }
    items.retain(|i| {
        finds(
            &params.q,
            &[
                &i.id,
                &i.order_no,
                i.payment_id.as_deref().unwrap_or(""),
                i.bank_serial.as_deref().unwrap_or(""),
                &i.class,
                &i.channel_account_id,
            ],
        )
    });
    // Stable: the store's order within a class.
    items.sort_by(|a, b| a.class.cmp(&b.class));
    Ok(items)
}

/// One side's figures: count and amount in yuan.
pub struct Side {
    pub payments: i64,
    pub payments_yuan: String,
    pub refunds: i64,
    pub refunds_yuan: String,
    pub fees_yuan: String,
}

pub struct DayRow {
    pub date: String,
    pub channel_account_id: String,
    /// The channel account's bank (its channel code).
    pub bank_code: String,
    pub bank: Side,
    pub platform: Side,
    pub matched: i64,
    pub matched_yuan: String,
    pub unreadable_lines: i64,
    pub runs: i64,
    pub ran_at: String,
}

pub struct ItemRow {
    pub id: String,
    /// The channel account's bank (its channel code); blank where the page does not say.
    pub bank_code: String,
    pub date: String,
    pub class: String,
    pub kind: String,
    pub order_no: String,
    pub payment_id: String,
    pub bank_amount: String,
    pub bank_fee: String,
    pub bank_serial: String,
    pub platform_amount: String,
    pub platform_fee: String,
    pub platform_status: String,
    pub status: &'static str,
    pub pending: bool,
    pub resolution: String,
    pub note: String,
    pub resolved_by: String,
}

pub struct StatementRow {
    pub id: String,
    pub channel_account_id: String,
    pub bank_code: String,
    pub version: i64,
    pub sha256: String,
    pub size_bytes: i64,
    pub gzip: bool,
    pub unreadable_lines: i64,
    pub totals_agree: bool,
    pub fetched: String,
}

#[derive(Template)]
#[template(path = "console/recon.html")]
struct ReconPage {
    layout: Layout,
    t: Tr,
    date: String,
    days: Vec<DayRow>,
    /// Items by class, classes in name order.
    classes: Vec<(String, Vec<ItemRow>)>,
    statements: Vec<StatementRow>,
    /// The item search, its count and sums, the CSV link, the item pages.
    q: String,
    items_total: String,
    export: String,
    paging: Paging,
    may_resolve: bool,
    may_download: bool,
    bad_date: bool,
    may_run: bool,
    /// Channel accounts the fetch and run forms offer, each with its bank.
    accounts: Vec<(String, String)>,
    /// The date those forms offer: the one shown, or yesterday (Beijing time).
    run_date: String,
    /// The bank chosen (empty: all), and the banks there are to choose from.
    bank: String,
    banks: Vec<&'static str>,
}

/// `GET /console/recon?date=YYYY-MM-DD` (no date: recent days and every pending item).
pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ReconParams>,
) -> Response {
    let date = params.date.trim().to_string();
    let (chosen, bad_date) = params.chosen();
    let bank = params.bank.trim().to_string();
    let store = &state.store;
    let days = match store.list_recon_days(chosen).await {
        Ok(mut days) => {
            days.truncate(RECENT_DAYS);
            days
        }
        Err(error) => return page::failure(&error),
    };
    let items = match items_found(&state, &params).await {
        Ok(items) => items,
        Err(error) => return page::failure(&error),
    };
    let sum = |side: fn(&ReconItem) -> Option<i64>| -> String {
        display_yuan(items.iter().filter_map(side).sum())
    };
    let items_total = signed.t.fill(
        "recon.items_total",
        &[
            ("count", &items.len().to_string()),
            ("bank", &sum(|i| i.bank_amount)),
            ("platform", &sum(|i| i.platform_amount)),
        ],
    );
    let path = "/console/recon";
    let filters = params.filters();
    let export = format!("/console/recon/items.csv?{}", query_string(&filters));
    let (items, paging) = page_of(items, path, &filters, &params.page, &params.per);
    let statements = match chosen {
        Some(date) => match store.list_statements(Some(date)).await {
            Ok(statements) => statements,
            Err(error) => return page::failure(&error),
        },
        None => Vec::new(),
    };
    let banks: HashMap<String, String> = match store.list_channel_accounts().await {
        Ok(accounts) => accounts.into_iter().map(|a| (a.id, a.channel)).collect(),
        Err(error) => return page::failure(&error),
    };
    let bank_of = |account: &str| banks.get(account).cloned().unwrap_or_default();
    let shown = |account: &str| bank.is_empty() || bank_of(account) == bank;
    let mut classes: BTreeMap<String, Vec<ItemRow>> = BTreeMap::new();
    for item in items.iter().filter(|i| shown(&i.channel_account_id)) {
        classes
            .entry(item.class.clone())
            .or_default()
            .push(ItemRow {
                bank_code: bank_of(&item.channel_account_id),
                ..item_row(item)
            });
    }
    let mut accounts: Vec<(String, String)> = banks
        .iter()
        .filter(|(account, _)| shown(account))
        .map(|(account, bank)| (account.clone(), bank.clone()))
        .collect();
    accounts.sort();
    let run_date = match chosen {
        Some(date) => date.to_string(),
        None => super::settlement_page::yesterday(state.now_ms()),
    };
    let layout = Layout::new(&signed, "recon", "recon.title");
    page::render(&ReconPage {
        t: layout.t,
        layout,
        date: if bad_date { String::new() } else { date },
        days: days
            .iter()
            .filter(|d| shown(&d.channel_account_id))
            .map(|d| DayRow {
                bank_code: bank_of(&d.channel_account_id),
                ..day_row(d)
            })
            .collect(),
        classes: classes.into_iter().collect(),
        statements: statements
            .iter()
            .filter(|s| shown(&s.channel_account_id))
            .map(|s| StatementRow {
                bank_code: bank_of(&s.channel_account_id),
                ..statement_row(s)
            })
            .collect(),
        q: params.q.clone(),
        items_total,
        export,
        paging,
        may_resolve: signed.can(Permission::ResolveRecon),
        may_download: signed.can(Permission::DownloadFiles),
        bad_date,
        may_run: signed.can(Permission::RunBooks),
        accounts,
        run_date,
        bank,
        banks: crate::channels::BANKS.to_vec(),
    })
}

fn yuan(fen: Option<i64>) -> String {
    fen.map(display_yuan).unwrap_or_default()
}

fn day_row(d: &ReconDay) -> DayRow {
    DayRow {
        date: d.accounting_date.clone(),
        channel_account_id: d.channel_account_id.clone(),
        bank_code: String::new(),
        bank: Side {
            payments: d.bank_payments,
            payments_yuan: display_yuan(d.bank_payments_fen),
            refunds: d.bank_refunds,
            refunds_yuan: display_yuan(d.bank_refunds_fen),
            fees_yuan: display_yuan(d.bank_fees_fen),
        },
        platform: Side {
            payments: d.platform_payments,
            payments_yuan: display_yuan(d.platform_payments_fen),
            refunds: d.platform_refunds,
            refunds_yuan: display_yuan(d.platform_refunds_fen),
            fees_yuan: display_yuan(d.platform_fees_fen),
        },
        matched: d.matched,
        matched_yuan: display_yuan(d.matched_fen),
        unreadable_lines: d.unreadable_lines,
        runs: d.runs,
        ran_at: local_time(d.ran_at),
    }
}

pub(crate) fn item_row(i: &ReconItem) -> ItemRow {
    ItemRow {
        id: i.id.clone(),
        bank_code: String::new(),
        date: i.accounting_date.clone(),
        class: i.class.clone(),
        kind: i.kind.clone(),
        order_no: i.order_no.clone(),
        payment_id: or_blank(&i.payment_id),
        bank_amount: yuan(i.bank_amount),
        bank_fee: yuan(i.bank_fee),
        bank_serial: or_blank(&i.bank_serial),
        platform_amount: yuan(i.platform_amount),
        platform_fee: yuan(i.platform_fee),
        platform_status: or_blank(&i.platform_status),
        status: i.status.as_str(),
        pending: i.status.is_pending(),
        resolution: or_blank(&i.resolution),
        note: or_blank(&i.note),
        resolved_by: or_blank(&i.resolved_by),
    }
}

fn statement_row(s: &StoredStatement) -> StatementRow {
    StatementRow {
        id: s.id.clone(),
        channel_account_id: s.channel_account_id.clone(),
        bank_code: String::new(),
        version: s.version,
        sha256: s.sha256.clone(),
        size_bytes: s.size_bytes,
        gzip: s.gzip,
        unreadable_lines: s.unreadable_lines,
        totals_agree: s.totals_agree(),
        fetched: local_time(s.fetched_at),
    }
}

/// `POST /console/recon/items/{id}/resolve` (`decision` = `bank_wins` | `platform_wins`,
/// `note`).
pub async fn resolve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    signed
        .require(&state, Permission::ResolveRecon, &id)
        .await?;
    let item = match state.store.get_recon_item(&id).await {
        Ok(Some(item)) => item,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let back = format!("/console/recon?date={}", item.accounting_date);
    let Some(decision) = read_decision(&fields) else {
        return Ok(page::redirect_with(
            &back,
            Flash::Error("flash.decision_missing"),
        ));
    };
    let note = fields.get("note").unwrap_or("");
    let outcome = resolve_item(
        &state,
        &id,
        decision,
        note,
        &signed.username,
        &signed.from_address,
    )
    .await;
    let flash = match outcome {
        Ok(ResolveOutcome::Resolved(_)) => Flash::Ok("flash.resolved"),
        Ok(ResolveOutcome::NotPending(_)) => Flash::Error("flash.not_pending"),
        Ok(ResolveOutcome::NotFound) => return Ok(page::not_found(&signed)),
        Err(BooksError::Refused(reason)) => {
            signed
                .audit(&state, "recon.resolve", &id, &reason, "refused")
                .await;
            Flash::Error("flash.note_required")
        }
        Err(error) => return Ok(page::failure(&error)),
    };
    Ok(page::redirect_with(&back, flash))
}

/// The resolve form's `decision` (`None` when missing or unknown).
pub(crate) fn read_decision(fields: &FormFields) -> Option<Decision> {
    match fields.get("decision") {
        Some("bank_wins") => Some(Decision::BankWins),
        Some("platform_wins") => Some(Decision::PlatformWins),
        _ => None,
    }
}

/// `GET /console/statements/{id}/file`: the statement exactly as the bank delivered it.
pub async fn statement_file(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::DownloadFiles, &id)
        .await?;
    let statement = match state.store.get_statement(&id).await {
        Ok(Some(statement)) => statement,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let bytes = match state.store.statement_bytes(&id).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    signed
        .audit(&state, "statement.download", &id, &statement.sha256, "ok")
        .await;
    let name = format!(
        "statement-{}-{}-v{}.{}",
        statement.channel_account_id,
        statement.accounting_date,
        statement.version,
        if statement.gzip { "txt.gz" } else { "txt" }
    );
    Ok(download(bytes, "application/octet-stream", &name))
}

/// A file to save, under `name` (ids and dates only: nothing to escape).
pub fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}
