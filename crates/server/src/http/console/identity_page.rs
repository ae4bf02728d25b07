//! `/console/identity-verifications`: search (part of the id or a number; status, app, dates),
//! counted and paged as `list_rows` says, and one page per verification. The store keeps
//! only masks and keyed hashes of the personal values, so only masks can be shown; the hashes
//! tell how often the app has verified the same document or card.

use super::i18n::Tr;
use super::list_rows::{DatedParams, count_line, every_page, finds, page_of};
use super::page::{self, Layout, local_time};
use super::session::SignedIn;
use super::views::{Paging, or_blank, query_string};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use unipay_store::StoreError;
use unipay_store::browse::Search;
use unipay_store::identity::IdentityVerification;
use unipay_store::refunds::transactions::Cursor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/identity-verifications", get(list))
        .route("/console/identity-verifications/{id}", get(detail))
}

const STATUSES: [&str; 4] = ["pending", "matched", "not_matched", "failed"];

/// A verification as the pages show it: masks only.
pub struct VerificationView {
    pub id: String,
    pub app_id: String,
    pub merchant_id: String,
    pub channel_account_id: String,
    pub out_verify_no: String,
    pub verify_no: String,
    pub mode: &'static str,
    pub customer_type: &'static str,
    pub certificate_type: String,
    pub name: String,
    pub certificate: String,
    pub card: String,
    pub mobile: String,
    pub status: &'static str,
    pub reason_code: String,
    pub reason: String,
    pub repeat_of: String,
    pub created: String,
    pub finished: String,
}

fn view(v: &IdentityVerification) -> VerificationView {
    VerificationView {
        id: v.id.clone(),
        app_id: v.app_id.clone(),
        merchant_id: v.merchant_id.clone(),
        channel_account_id: v.channel_account_id.clone(),
        out_verify_no: v.out_verify_no.clone(),
        verify_no: v.verify_no.clone(),
        mode: v.mode.as_str(),
        customer_type: v.customer_type.as_str(),
        certificate_type: v.certificate_type.clone(),
        name: v.name.masked.clone(),
        certificate: v.certificate.masked.clone(),
        card: v.card.masked.clone(),
        mobile: v
            .mobile
            .as_ref()
            .map(|m| m.masked.clone())
            .unwrap_or_default(),
        status: v.status.as_str(),
        reason_code: or_blank(&v.reason_code),
        reason: or_blank(&v.reason),
        repeat_of: or_blank(&v.repeat_of),
        created: local_time(v.created_at),
        finished: v.finished_at.map(local_time).unwrap_or_default(),
    }
}

/// The verifications the filters find, newest first (`q` contained in the id or either
/// number), and whether a date did not read.
pub(crate) async fn verifications_found(
    state: &AppState,
    params: &DatedParams,
) -> Result<(Vec<IdentityVerification>, bool), StoreError> {
    let (first, bad_date) = params.store_search();
    let found = every_page(|cursor: Option<Cursor>| {
        let search = Search {
            cursor,
            ..first.clone()
        };
        async move { state.store.search_identity_verifications(&search).await }
    })
    .await?;
    let found = found
        .into_iter()
        .filter(|v| finds(&params.q, &[&v.id, &v.out_verify_no, &v.verify_no]))
        .collect();
    Ok((found, bad_date))
}

#[derive(Template)]
#[template(path = "console/identity_verifications.html")]
struct ListPage {
    layout: Layout,
    t: Tr,
    params: DatedParams,
    statuses: &'static [&'static str],
    rows: Vec<VerificationView>,
    paging: Paging,
    /// How many verifications the filters find.
    total: String,
    export: String,
    bad_date: bool,
}

/// `GET /console/identity-verifications?q=&status=&app=&from=&to=&page=&per=`
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<DatedParams>,
) -> Response {
    let (found, bad_date) = match verifications_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let total = count_line(&signed.t, found.len());
    let path = "/console/identity-verifications";
    let filters = params.filters();
    let export = format!("{path}.csv?{}", query_string(&filters));
    let (shown, paging) = page_of(found, path, &filters, &params.page, &params.per);
    let layout = Layout::new(&signed, "identity", "identity.title");
    page::render(&ListPage {
        t: layout.t,
        layout,
        params,
        statuses: &STATUSES,
        rows: shown.iter().map(view).collect(),
        paging,
        total,
        export,
        bad_date,
    })
}

#[derive(Template)]
#[template(path = "console/identity_verification.html")]
struct DetailPage {
    layout: Layout,
    t: Tr,
    verification: VerificationView,
    seen_certificate: i64,
    seen_card: i64,
}

/// `GET /console/identity-verifications/{id}`
pub async fn detail(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Response {
    let verification = match state.store.get_identity_verification(&id).await {
        Ok(Some(verification)) => verification,
        Ok(None) => return page::not_found(&signed),
        Err(error) => return page::failure(&error),
    };
    let (seen_certificate, seen_card) = match state.store.identity_sightings(&verification).await {
        Ok(counts) => counts,
        Err(error) => return page::failure(&error),
    };
    let layout = Layout::new(&signed, "identity", "identity_verification.title");
    page::render(&DetailPage {
        t: layout.t,
        layout,
        verification: view(&verification),
        seen_certificate,
        seen_card,
    })
}
