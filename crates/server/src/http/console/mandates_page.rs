//! `/console/mandates`: search (contained in the id, out_mandate_no, bank numbers or customer
//! reference; status, app, dates), counted and paged as `list_rows` says, and one page per
//! mandate: its state, the masked certificate and card, its limit and last day, its timeline with the masked bank message behind each event, and the debits made
//! on it. Operators may ask the bank about a pending signing now (the API's `?sync=true` and
//! the janitor's own query), recorded with source `console`.

use super::ConsoleForm;
use super::i18n::Tr;
use super::list_rows::{DatedParams, count_line, every_page, finds, page_of};
use super::page::{self, Flash, Layout, local_time};
use super::payments_page::TimelineRow;
use super::roles::Permission;
use super::session::SignedIn;
use super::views::{Paging, or_blank, query_string};
use crate::flows;
use crate::flows::mandates::QueryConclusion;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use unipay_core::event::EventSource;
use unipay_core::mandate::MandateStatus;
use unipay_core::money::display_yuan;
use unipay_store::StoreError;
use unipay_store::browse::Search;
use unipay_store::browse::mandates::{MandateDebitView, MandateEventView};
use unipay_store::mandates::Mandate;
use unipay_store::refunds::transactions::Cursor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/mandates", get(list))
        .route("/console/mandates/{id}", get(detail))
        .route("/console/mandates/{id}/query", post(query_now))
}

const STATUSES: [&str; 5] = ["pending", "active", "failed", "cancelled", "expired"];

pub struct MandateRow {
    pub id: String,
    pub out_mandate_no: String,
    pub app_id: String,
    pub certificate: String,
    pub card: String,
    pub expires_on: String,
    pub status: &'static str,
    pub created: String,
}

fn mandate_row(m: &Mandate) -> MandateRow {
    MandateRow {
        id: m.id.clone(),
        out_mandate_no: m.out_mandate_no.clone(),
        app_id: m.app_id.clone(),
        certificate: m.certificate_no_masked.clone(),
        card: or_blank(&m.card_masked),
        expires_on: m.expires_on.clone(),
        status: m.status.as_str(),
        created: local_time(m.created_at),
    }
}

/// The mandates the filters find, newest first, and whether a date did not read (then
/// neither date narrows, and the page says so).
pub(crate) async fn mandates_found(
    state: &AppState,
    params: &DatedParams,
) -> Result<(Vec<Mandate>, bool), StoreError> {
    let (first, bad_date) = params.store_search();
    let mandates = every_page(|cursor: Option<Cursor>| {
        let search = Search {
            cursor,
            ..first.clone()
        };
        async move { state.store.search_mandates(&search).await }
    })
    .await?;
    let found = mandates
        .into_iter()
        .filter(|m| {
            let agent_sign_no = or_blank(&m.agent_sign_no);
            finds(
                &params.q,
                &[
                    &m.id,
                    &m.out_mandate_no,
                    &m.sign_request_no,
                    &agent_sign_no,
                    &m.customer_ref,
                ],
            )
        })
        .collect();
    Ok((found, bad_date))
}

#[derive(Template)]
#[template(path = "console/mandates.html")]
struct MandatesPage {
    layout: Layout,
    t: Tr,
    params: DatedParams,
    statuses: &'static [&'static str],
    rows: Vec<MandateRow>,
    paging: Paging,
    /// How many mandates the filters find.
    total: String,
    export: String,
    bad_date: bool,
}

/// `GET /console/mandates?q=&status=&app=&from=&to=&page=&per=`
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<DatedParams>,
) -> Response {
    let (found, bad_date) = match mandates_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let total = count_line(&signed.t, found.len());
    let path = "/console/mandates";
    let filters = params.filters();
    let export = format!("{path}.csv?{}", query_string(&filters));
    let (shown, paging) = page_of(found, path, &filters, &params.page, &params.per);
    let layout = Layout::new(&signed, "mandates", "mandates.title");
    page::render(&MandatesPage {
        t: layout.t,
        layout,
        params,
        statuses: &STATUSES,
        rows: shown.iter().map(mandate_row).collect(),
        paging,
        total,
        export,
        bad_date,
    })
}

pub struct MandateView {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_mandate_no: String,
    pub sign_request_no: String,
    pub agent_sign_no: String,
    pub customer_ref: String,
    pub card_type: String,
    pub certificate_type: String,
    pub certificate: String,
    pub card: String,
    pub expires_on: String,
    /// Empty when the mandate has no limit per debit.
    pub max_amount: String,
    pub status: &'static str,
    pub failure_reason: String,
    pub created: String,
    pub signed: String,
    pub ended: String,
    pub next_query: String,
    pub pending: bool,
}

fn view(m: &Mandate) -> MandateView {
    MandateView {
        id: m.id.clone(),
        app_id: m.app_id.clone(),
        merchant_id: m.merchant_id.clone(),
        channel_account_id: m.channel_account_id.clone(),
        out_mandate_no: m.out_mandate_no.clone(),
        sign_request_no: m.sign_request_no.clone(),
        agent_sign_no: or_blank(&m.agent_sign_no),
        customer_ref: m.customer_ref.clone(),
        card_type: m.card_type.clone(),
        certificate_type: m.certificate_type.clone(),
        certificate: m.certificate_no_masked.clone(),
        card: or_blank(&m.card_masked),
        expires_on: m.expires_on.clone(),
        max_amount: m.max_amount_per_debit.map(display_yuan).unwrap_or_default(),
        status: m.status.as_str(),
        failure_reason: or_blank(&m.failure_reason),
        created: local_time(m.created_at),
        signed: m.signed_at.map(local_time).unwrap_or_default(),
        ended: m.ended_at.map(local_time).unwrap_or_default(),
        next_query: m.next_query_at.map(local_time).unwrap_or_default(),
        pending: m.status == MandateStatus::Pending,
    }
}

fn timeline_row(e: &MandateEventView) -> TimelineRow {
    TimelineRow {
        at: local_time(e.created_at),
        kind: e.kind.clone(),
        source: e.source.clone(),
        from: or_blank(&e.from_status),
        to: or_blank(&e.to_status),
        detail: e.detail.clone(),
        raw_sha256: or_blank(&e.raw_sha256),
        raw_masked: e.raw_masked.as_deref().map(super::pretty::bank_message),
    }
}

pub struct DebitRow {
    pub payment_id: String,
    pub out_trade_no: String,
    pub amount: String,
    pub status: &'static str,
    pub batch_id: String,
    pub seq_no: String,
    pub failure_reason: String,
    pub created: String,
}

fn debit_row(d: &MandateDebitView) -> DebitRow {
    DebitRow {
        payment_id: d.payment_id.clone(),
        out_trade_no: d.out_trade_no.clone(),
        amount: display_yuan(d.amount),
        status: d.status.as_str(),
        batch_id: or_blank(&d.batch_id),
        seq_no: d.seq_no.map(|n| n.to_string()).unwrap_or_default(),
        failure_reason: or_blank(&d.failure_reason),
        created: local_time(d.created_at),
    }
}

#[derive(Template)]
#[template(path = "console/mandate.html")]
struct MandatePage {
    layout: Layout,
    t: Tr,
    mandate: MandateView,
    timeline: Vec<TimelineRow>,
    debits: Vec<DebitRow>,
    /// Set when there are more debits than the page shows.
    debits_shown: Option<String>,
    may_query: bool,
}

/// `GET /console/mandates/{id}`
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let mandate = match state.store.get_mandate(&id).await {
        Ok(Some(mandate)) => mandate,
        Ok(None) => return page::not_found(&signed),
        Err(error) => return page::failure(&error),
    };
    let timeline = match state.store.mandate_timeline(&mandate).await {
        Ok(events) => events,
        Err(error) => return page::failure(&error),
    };
    let (debits, total) = match state.store.mandate_debits(&mandate.id).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let shown = i64::try_from(debits.len()).unwrap_or(i64::MAX);
    let debits_shown = (total > shown).then(|| {
        signed.t.fill(
            "mandate.debits_shown",
            &[("shown", &shown.to_string()), ("total", &total.to_string())],
        )
    });
    let layout = Layout::new(&signed, "mandates", "mandate.title");
    page::render(&MandatePage {
        t: layout.t,
        layout,
        mandate: view(&mandate),
        timeline: timeline.iter().map(timeline_row).collect(),
        debits: debits.iter().map(debit_row).collect(),
        debits_shown,
        may_query: signed.can(Permission::QueryPayment),
    })
}

/// `POST /console/mandates/{id}/query`: ask the bank about a pending signing now and record
/// what it says, as `GET /v1/mandates/{id}?sync=true` does.
pub async fn query_now(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = form.signed;
    signed
        .require(&state, Permission::QueryPayment, &id)
        .await?;
    let mandate = match state.store.get_mandate(&id).await {
        Ok(Some(mandate)) => mandate,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let back = format!("/console/mandates/{id}");
    // Only a signing still waiting has anything to learn from the bank; the others are final
    // or change through cancellation and expiry.
    if mandate.status != MandateStatus::Pending {
        let detail = format!("not asked: mandate {}", mandate.status.as_str());
        signed
            .audit(&state, "mandate.query", &id, &detail, "refused")
            .await;
        return Ok(page::redirect_with(
            &back,
            Flash::Error("flash.mandate_not_pending"),
        ));
    }
    let conclusion =
        flows::mandates::query_and_record(&state, &mandate, EventSource::Console).await;
    let (detail, outcome, flash) = match conclusion {
        Ok(QueryConclusion::Applied(outcome)) => {
            let status = outcome
                .into_mandate()
                .map_or("unchanged", |m| m.status.as_str());
            (
                format!("bank asked; mandate {status}"),
                "ok",
                Flash::Ok("flash.query_sent"),
            )
        }
        Ok(QueryConclusion::StillPending(reason)) => (
            format!("bank asked; still pending: {reason}"),
            "ok",
            Flash::Ok("flash.query_sent"),
        ),
        Err(error) => {
            tracing::warn!(%error, mandate_id = %id, "console mandate query failed");
            (error.to_string(), "failed", Flash::Error("flash.failed"))
        }
    };
    signed
        .audit(&state, "mandate.query", &id, &detail, outcome)
        .await;
    Ok(page::redirect_with(&back, flash))
}
