//! The CSV downloads of the short lists (`list_rows.rs`), each with its page's search applied
//! and every row, not only the page shown: merchants, apps, channel accounts, users (admins
//! only, as their page), settlement batches, reconciliation differences, dead letters,
//! mandates, debit batches, refund batches and identity verifications (masks only). The
//! file's form (BOM, quoting, formula-safe fields, plain yuan) is `csv_export`'s.

use super::accounts_page::users_found;
use super::admin_page::{apps_found, channel_accounts_found, merchants_found};
use super::csv_export::{self, MAX_ROWS};
use super::debit_batches_page::{self, BatchParams as DebitBatchParams};
use super::identity_page::verifications_found;
use super::list_rows::{DatedParams, ListParams};
use super::mandates_page::mandates_found;
use super::notifications_page::dead_found;
use super::page::{self, local_time};
use super::recon_page::{ReconParams, items_found};
use super::refunds_page::{self, BatchParams as RefundBatchParams};
use super::roles::Permission;
use super::session::SignedIn;
use super::settlement_page::{SettlementParams, batches_found};
use super::views::{or_blank, query_string};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use unipay_core::money::format_yuan;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/admin/merchants.csv", get(merchants))
        .route("/console/admin/apps.csv", get(apps))
        .route("/console/admin/channel-accounts.csv", get(channel_accounts))
        .route("/console/admin/users.csv", get(users))
        .route("/console/settlement.csv", get(settlement))
        .route("/console/recon/items.csv", get(recon_items))
        .route("/console/notifications/dead.csv", get(dead_letters))
        .route("/console/mandates.csv", get(mandates))
        .route("/console/debit-batches.csv", get(debit_batches))
        .route("/console/refund-batches.csv", get(refund_batches))
        .route(
            "/console/identity-verifications.csv",
            get(identity_verifications),
        )
}

/// Bounds the rows, makes the file and answers it (audited with the filters).
async fn answer(
    state: &AppState,
    signed: &SignedIn,
    list: &str,
    filters: &str,
    header: &[&str],
    mut rows: Vec<Vec<String>>,
) -> Response {
    rows.truncate(MAX_ROWS);
    let body = csv_export::file(&signed.t, header, &rows);
    csv_export::respond(state, signed, list, filters, body, rows.len()).await
}

/// An optional amount in fen as plain yuan, or blank.
fn yuan(fen: Option<i64>) -> String {
    fen.map(format_yuan).unwrap_or_default()
}

/// `GET /console/admin/merchants.csv?q=`
pub async fn merchants(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let found = match merchants_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|m| vec![m.id.clone(), m.name.clone(), local_time(m.created_at)])
        .collect();
    let header = ["payment.merchant", "merchants.name", "payments.created"];
    let filters = params.filters();
    answer(&state, &signed, "merchants", &filters, &header, rows).await
}

/// `GET /console/admin/apps.csv?q=`
pub async fn apps(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let (found, merchants) = match apps_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let merchant_name = |id: &str| {
        merchants
            .iter()
            .find(|m| m.id == id)
            .map(|m| m.name.clone())
            .unwrap_or_default()
    };
    let rows = found
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.name.clone(),
                a.merchant_id.clone(),
                merchant_name(&a.merchant_id),
                or_blank(&a.notify_url),
                or_blank(&a.channel_account_id),
                a.status.clone(),
                local_time(a.created_at),
            ]
        })
        .collect();
    let header = [
        "payments.app",
        "merchants.name",
        "payment.merchant",
        "list.merchant_name",
        "apps.notify_url",
        "payment.channel_account",
        "payments.status",
        "payments.created",
    ];
    let filters = params.filters();
    answer(&state, &signed, "apps", &filters, &header, rows).await
}

/// `GET /console/admin/channel-accounts.csv?q=`: fingerprints only, as on the page.
pub async fn channel_accounts(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let found = match channel_accounts_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|v| {
            let a = &v.account;
            vec![
                a.id.clone(),
                a.merchant_id.clone(),
                a.bank_merchant_id.clone(),
                a.trx_url.clone(),
                a.signature_algorithm.clone(),
                a.payment_types.clone(),
                a.notify_type.clone(),
                a.cutover_hour.to_string(),
                a.bank_fee_bps.to_string(),
                v.certificate_subject.clone(),
                v.certificate_sha256.clone(),
                v.key_sha256.clone(),
                local_time(a.created_at),
            ]
        })
        .collect();
    let header = [
        "payment.channel_account",
        "payment.merchant",
        "channel_accounts.bank_merchant_id",
        "channel_accounts.trx_url",
        "channel_accounts.algorithm",
        "channel_accounts.payment_types",
        "channel_accounts.notify_type",
        "channel_accounts.cutover_hour",
        "channel_accounts.bank_fee_bps",
        "channel_accounts.certificate",
        "list.certificate_sha256",
        "list.key_sha256",
        "payments.created",
    ];
    let filters = params.filters();
    answer(&state, &signed, "channel-accounts", &filters, &header, rows).await
}

/// `GET /console/admin/users.csv?q=`: admins only, as the users page.
pub async fn users(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::ManageUsers, "/console/admin/users.csv")
        .await?;
    let found = users_found(&state, &params)
        .await
        .map_err(|error| page::failure(&error))?;
    let now = state.now_ms();
    let rows = found
        .iter()
        .map(|u| {
            vec![
                u.username.clone(),
                u.role.clone(),
                u.status.clone(),
                if u.locked_until > now {
                    local_time(u.locked_until)
                } else {
                    String::new()
                },
                local_time(u.created_at),
            ]
        })
        .collect();
    let header = [
        "users.username",
        "users.role",
        "users.status",
        "list.locked_until",
        "users.created",
    ];
    let filters = params.filters();
    Ok(answer(&state, &signed, "users", &filters, &header, rows).await)
}

/// `GET /console/settlement.csv?date=&merchant=&status=`
pub async fn settlement(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<SettlementParams>,
) -> Response {
    let (found, _) = match batches_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                b.accounting_date.clone(),
                b.merchant_id.clone(),
                b.generation.to_string(),
                b.status.as_str().to_string(),
                b.payments.to_string(),
                format_yuan(b.payments_fen),
                b.refunds.to_string(),
                format_yuan(b.refunds_fen),
                format_yuan(b.fees_fen),
                format_yuan(b.net_fen),
                local_time(b.created_at),
            ]
        })
        .collect();
    let header = [
        "settlement.batch",
        "recon.date",
        "payment.merchant",
        "settlement.generation",
        "payments.status",
        "recon.payments",
        "list.payments_amount",
        "recon.refunds",
        "list.refunds_amount",
        "recon.fees",
        "settlement.net",
        "payments.created",
    ];
    let filters = query_string(&params.filters());
    answer(&state, &signed, "settlement", &filters, &header, rows).await
}

/// `GET /console/recon/items.csv?date=&q=` (no date: every pending difference).
pub async fn recon_items(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ReconParams>,
) -> Response {
    let found = match items_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|i| {
            vec![
                i.id.clone(),
                i.accounting_date.clone(),
                i.channel_account_id.clone(),
                i.class.clone(),
                i.kind.clone(),
                i.order_no.clone(),
                or_blank(&i.payment_id),
                yuan(i.bank_amount),
                yuan(i.bank_fee),
                or_blank(&i.bank_serial),
                yuan(i.platform_amount),
                yuan(i.platform_fee),
                or_blank(&i.platform_status),
                i.status.as_str().to_string(),
                or_blank(&i.resolution),
                or_blank(&i.note),
                or_blank(&i.resolved_by),
            ]
        })
        .collect();
    let header = [
        "recon.item",
        "recon.date",
        "payment.channel_account",
        "recon.class",
        "recon.kind",
        "payment.order_no",
        "notifications.payment",
        "recon.bank_amount",
        "recon.bank_fee",
        "payments.bank_serial",
        "recon.platform_amount",
        "recon.platform_fee",
        "recon.platform_status",
        "payments.status",
        "recon.decision",
        "recon.note",
        "list.decided_by",
    ];
    let filters = query_string(&params.filters());
    answer(&state, &signed, "recon-items", &filters, &header, rows).await
}

/// `GET /console/notifications/dead.csv?q=`
pub async fn dead_letters(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let found = match dead_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                e.payment_id.clone(),
                e.app_id.clone(),
                e.event_type.clone(),
                e.url.clone(),
                e.attempts.to_string(),
                or_blank(&e.last_error),
                local_time(e.created_at),
            ]
        })
        .collect();
    let header = [
        "notifications.event",
        "notifications.payment",
        "payments.app",
        "notifications.type",
        "notifications.url",
        "notifications.attempts",
        "notifications.last_error",
        "payments.created",
    ];
    let filters = params.filters();
    answer(&state, &signed, "dead-letters", &filters, &header, rows).await
}

/// `GET /console/mandates.csv?q=&status=&app=&from=&to=`: masked certificate and card, as on
/// the page.
pub async fn mandates(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<DatedParams>,
) -> Response {
    let (found, _) = match mandates_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|m| {
            vec![
                m.id.clone(),
                m.out_mandate_no.clone(),
                m.app_id.clone(),
                m.certificate_no_masked.clone(),
                or_blank(&m.card_masked),
                m.expires_on.clone(),
                m.status.as_str().to_string(),
                local_time(m.created_at),
            ]
        })
        .collect();
    let header = [
        "mandates.id",
        "mandates.out_mandate_no",
        "payments.app",
        "mandates.certificate",
        "mandates.card",
        "mandates.expires_on",
        "payments.status",
        "payments.created",
    ];
    let filters = query_string(&params.filters());
    answer(&state, &signed, "mandates", &filters, &header, rows).await
}

/// `GET /console/debit-batches.csv?q=&status=&app=`
pub async fn debit_batches(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<DebitBatchParams>,
) -> Response {
    let found = match debit_batches_page::batches_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                b.out_batch_no.clone(),
                b.app_id.clone(),
                b.line_count.to_string(),
                format_yuan(b.total_amount),
                b.status.as_str().to_string(),
                local_time(b.created_at),
            ]
        })
        .collect();
    let header = [
        "debit_batches.id",
        "refund_batches.out_batch_no",
        "payments.app",
        "refund_batches.lines",
        "refund_batches.total",
        "payments.status",
        "payments.created",
    ];
    let filters = query_string(&params.filters());
    answer(&state, &signed, "debit-batches", &filters, &header, rows).await
}

/// `GET /console/refund-batches.csv?q=&status=`: the succeeded and failed columns are amounts
/// (the page shows their counts beside them).
pub async fn refund_batches(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<RefundBatchParams>,
) -> Response {
    let found = match refunds_page::batches_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                b.out_batch_no.clone(),
                b.app_id.clone(),
                b.status.as_str().to_string(),
                b.line_count.to_string(),
                format_yuan(b.total_amount),
                format_yuan(b.succeeded_amount),
                format_yuan(b.failed_amount),
                local_time(b.created_at),
            ]
        })
        .collect();
    let header = [
        "refund.batch",
        "refund_batches.out_batch_no",
        "payments.app",
        "payments.status",
        "refund_batches.lines",
        "refund_batches.total",
        "refund_batches.succeeded",
        "refund_batches.failed",
        "payments.created",
    ];
    let filters = query_string(&params.filters());
    answer(&state, &signed, "refund-batches", &filters, &header, rows).await
}

/// `GET /console/identity-verifications.csv?q=&status=&app=&from=&to=`: masks only, as on the
/// page (the store keeps nothing else).
pub async fn identity_verifications(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<DatedParams>,
) -> Response {
    let (found, _) = match verifications_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let rows = found
        .iter()
        .map(|v| {
            vec![
                v.id.clone(),
                v.out_verify_no.clone(),
                v.app_id.clone(),
                v.mode.as_str().to_string(),
                v.name.masked.clone(),
                v.certificate.masked.clone(),
                v.card.masked.clone(),
                v.status.as_str().to_string(),
                local_time(v.created_at),
            ]
        })
        .collect();
    let header = [
        "identity.id",
        "identity.out_verify_no",
        "payments.app",
        "identity.mode",
        "identity.name",
        "identity.certificate",
        "identity.card",
        "payments.status",
        "payments.created",
    ];
    let filters = query_string(&params.filters());
    answer(
        &state,
        &signed,
        "identity-verifications",
        &filters,
        &header,
        rows,
    )
    .await
}
