//! Administration (admin role): merchants (list, create), apps (create, rotate the secret,
//! disable) and channel accounts (list with key and certificate fingerprints), through the
//! functions `unipay admin` uses. A new or rotated secret is shown once, on the page that
//! answers the action, and never again.

use super::i18n::Tr;
use super::list_rows::{ListParams, count_line};
use super::page::{self, Flash, Layout, local_time};
use super::roles::Permission;
use super::session::SignedIn;
use super::views::{Paging, or_blank};
use super::{ConsoleForm, FormFields};
use crate::flows;
use crate::flows::admin::ChannelAccountView;
use crate::flows::admin::{AdminError, NewApp};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use unipay_store::StoreError;
use unipay_store::browse::admin::AppSummary;
use unipay_store::merchants::Merchant;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/console/admin/merchants",
            get(merchants).post(create_merchant),
        )
        .route("/console/admin/apps", get(apps).post(create_app))
        .route(
            "/console/admin/apps/{id}/rotate-secret",
            post(rotate_secret),
        )
        .route("/console/admin/apps/{id}/disable", post(disable_app))
        .route(
            "/console/admin/channel-accounts",
            get(channel_accounts).post(super::channel_account_upload::add),
        )
}

pub struct MerchantRow {
    pub id: String,
    pub name: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/merchants.html")]
struct MerchantsPage {
    layout: Layout,
    t: Tr,
    rows: Vec<MerchantRow>,
    may_manage: bool,
    list: ListTools,
    paging: Paging,
}

/// The search, row count and CSV link above a short list (`console/list_tools.html`).
pub struct ListTools {
    pub path: &'static str,
    pub q: String,
    pub summary: String,
    pub export: String,
}

impl ListTools {
    pub fn new(path: &'static str, params: &ListParams, summary: String) -> ListTools {
        ListTools {
            path,
            q: params.q.clone(),
            summary,
            export: format!("{path}.csv?{}", params.filters()),
        }
    }
}

/// The merchants `q` finds (id or name).
pub(crate) async fn merchants_found(
    state: &AppState,
    params: &ListParams,
) -> Result<Vec<Merchant>, StoreError> {
    let mut merchants = state.store.list_merchants().await?;
    merchants.retain(|m| params.finds(&[&m.id, &m.name]));
    Ok(merchants)
}

/// `GET /console/admin/merchants?q=&page=&per=`
pub async fn merchants(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let merchants = match merchants_found(&state, &params).await {
        Ok(merchants) => merchants,
        Err(error) => return page::failure(&error),
    };
    let path = "/console/admin/merchants";
    let list = ListTools::new(path, &params, count_line(&signed.t, merchants.len()));
    let (merchants, paging) = params.page_of(path, merchants);
    let layout = Layout::new(&signed, "merchants", "merchants.title");
    page::render(&MerchantsPage {
        t: layout.t,
        layout,
        list,
        paging,
        rows: merchants
            .iter()
            .map(|m| MerchantRow {
                id: m.id.clone(),
                name: m.name.clone(),
                created: local_time(m.created_at),
            })
            .collect(),
        may_manage: signed.can(Permission::ManageMerchants),
    })
}

/// `POST /console/admin/merchants` (`name`)
pub async fn create_merchant(
    State(state): State<AppState>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    let name = fields.get("name").unwrap_or("");
    signed
        .require(&state, Permission::ManageMerchants, name)
        .await?;
    let back = "/console/admin/merchants";
    match flows::admin::create_merchant(&state.store, name, None, state.now_ms()).await {
        Ok(merchant) => {
            signed
                .audit(
                    &state,
                    "merchant.create",
                    &merchant.id,
                    &merchant.name,
                    "ok",
                )
                .await;
            Ok(page::redirect_with(
                back,
                Flash::Ok("flash.merchant_created"),
            ))
        }
        Err(AdminError::Invalid(_)) => {
            Ok(page::redirect_with(back, Flash::Error("flash.bad_input")))
        }
        Err(error) => Ok(page::failure(&error)),
    }
}

pub struct AppRow {
    pub id: String,
    pub merchant_id: String,
    pub name: String,
    pub notify_url: String,
    pub channel_account_id: String,
    pub status: String,
    pub active: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/apps.html")]
struct AppsPage {
    layout: Layout,
    t: Tr,
    rows: Vec<AppRow>,
    merchants: Vec<(String, String)>,
    may_manage: bool,
    list: ListTools,
    paging: Paging,
}

/// The apps `q` finds (id, name, merchant id or name, notify URL, channel account), with
/// every merchant (id, name).
pub(crate) async fn apps_found(
    state: &AppState,
    params: &ListParams,
) -> Result<(Vec<AppSummary>, Vec<Merchant>), StoreError> {
    let (mut apps, merchants) = (
        state.store.list_apps().await?,
        state.store.list_merchants().await?,
    );
    apps.retain(|a| {
        let merchant = merchants
            .iter()
            .find(|m| m.id == a.merchant_id)
            .map_or("", |m| m.name.as_str());
        params.finds(&[
            &a.id,
            &a.name,
            &a.merchant_id,
            merchant,
            a.notify_url.as_deref().unwrap_or(""),
            a.channel_account_id.as_deref().unwrap_or(""),
        ])
    });
    Ok((apps, merchants))
}

/// `GET /console/admin/apps?q=&page=&per=`
pub async fn apps(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let (apps, merchants) = match apps_found(&state, &params).await {
        Ok(found) => found,
        Err(error) => return page::failure(&error),
    };
    let path = "/console/admin/apps";
    let list = ListTools::new(path, &params, count_line(&signed.t, apps.len()));
    let (apps, paging) = params.page_of(path, apps);
    let layout = Layout::new(&signed, "apps", "apps.title");
    page::render(&AppsPage {
        t: layout.t,
        layout,
        list,
        paging,
        rows: apps
            .iter()
            .map(|a| AppRow {
                id: a.id.clone(),
                merchant_id: a.merchant_id.clone(),
                name: a.name.clone(),
                notify_url: or_blank(&a.notify_url),
                channel_account_id: or_blank(&a.channel_account_id),
                status: a.status.clone(),
                active: a.status == "active",
                created: local_time(a.created_at),
            })
            .collect(),
        merchants: merchants.into_iter().map(|m| (m.id, m.name)).collect(),
        may_manage: signed.can(Permission::ManageMerchants),
    })
}

#[derive(Template)]
#[template(path = "console/app_secret.html")]
struct SecretPage {
    layout: Layout,
    t: Tr,
    app_id: String,
    secret: String,
    /// `apps.secret_created` or `apps.secret_rotated`.
    heading: &'static str,
}

fn secret_page(
    signed: &SignedIn,
    app_id: String,
    secret: String,
    heading: &'static str,
) -> Response {
    let layout = Layout::new(signed, "apps", "apps.secret_title");
    page::render(&SecretPage {
        t: layout.t,
        layout,
        app_id,
        secret,
        heading,
    })
}

/// `POST /console/admin/apps` (`merchant_id`, `name`, `notify_url`, `channel_account_id`):
/// answers with the new secret, shown this once.
pub async fn create_app(
    State(state): State<AppState>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    let mut new = read_new_app(&fields);
    new.allow_private_addresses = state.config.notify.allow_private_addresses;
    signed
        .require(&state, Permission::ManageMerchants, &new.merchant_id)
        .await?;
    let back = "/console/admin/apps";
    match flows::admin::create_app(&state.store, new, state.now_ms()).await {
        Ok(app) => {
            let detail = format!("{} for {}", app.name, app.merchant_id);
            signed
                .audit(&state, "app.create", &app.id, &detail, "ok")
                .await;
            Ok(secret_page(
                &signed,
                app.id,
                app.secret,
                "apps.secret_created",
            ))
        }
        Err(AdminError::Invalid(_) | AdminError::NoMerchant(_)) => {
            Ok(page::redirect_with(back, Flash::Error("flash.bad_input")))
        }
        Err(error) => Ok(page::failure(&error)),
    }
}

/// The new-app form as [`create_app`] reads it.
pub(crate) fn read_new_app(fields: &FormFields) -> NewApp {
    NewApp {
        merchant_id: fields.get("merchant_id").unwrap_or("").to_string(),
        name: fields.get("name").unwrap_or("").to_string(),
        notify_url: fields.get("notify_url").map(str::to_string),
        channel_account_id: fields.get("channel_account_id").map(str::to_string),
        id: None,
        allow_private_addresses: false,
    }
}

/// `POST /console/admin/apps/{id}/rotate-secret`: answers with the new secret, shown once.
pub async fn rotate_secret(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = form.signed;
    signed
        .require(&state, Permission::ManageMerchants, &id)
        .await?;
    let entry = signed.audit_entry(
        "app.rotate_secret",
        &id,
        "new secret issued; the old one no longer works",
        "ok",
        state.now_ms(),
    );
    match flows::admin::rotate_app_secret(&state, &id, &entry).await {
        Ok(secret) => Ok(secret_page(
            &signed,
            id.clone(),
            secret,
            "apps.secret_rotated",
        )),
        Err(AdminError::NoApp(_)) => Ok(page::not_found(&signed)),
        Err(error) => Ok(page::failure(&error)),
    }
}

/// `POST /console/admin/apps/{id}/disable`
pub async fn disable_app(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = form.signed;
    signed
        .require(&state, Permission::ManageMerchants, &id)
        .await?;
    let entry = signed.audit_entry("app.disable", &id, "disabled", "ok", state.now_ms());
    match flows::admin::disable_app(&state, &id, &entry).await {
        Ok(()) => Ok(page::redirect_with(
            "/console/admin/apps",
            Flash::Ok("flash.app_disabled"),
        )),
        Err(AdminError::NoApp(_)) => Ok(page::not_found(&signed)),
        Err(error) => Ok(page::failure(&error)),
    }
}

pub struct AccountRow {
    pub id: String,
    /// The bank (`abc`, `unionpay`), shown in words.
    pub bank: String,
    pub merchant_id: String,
    pub bank_merchant_id: String,
    pub algorithm: String,
    pub payment_types: String,
    pub notify_type: String,
    pub cutover_hour: i64,
    pub bank_fee_bps: i64,
    pub trx_url: String,
    pub certificate_subject: String,
    pub certificate_sha256: String,
    pub key_sha256: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/channel_accounts.html")]
struct AccountsPage {
    layout: Layout,
    t: Tr,
    rows: Vec<AccountRow>,
    merchants: Vec<(String, String)>,
    /// The banks an account may be added for.
    banks: Vec<&'static str>,
    may_manage: bool,
    list: ListTools,
    paging: Paging,
}

/// The channel accounts `q` finds (id, merchant, the bank's merchant number, the bank's URL).
pub(crate) async fn channel_accounts_found(
    state: &AppState,
    params: &ListParams,
) -> Result<Vec<ChannelAccountView>, AdminError> {
    let mut views = flows::admin::channel_account_views(&state.store).await?;
    views.retain(|v| {
        let a = &v.account;
        params.finds(&[&a.id, &a.merchant_id, &a.bank_merchant_id, &a.trx_url])
    });
    Ok(views)
}

/// `GET /console/admin/channel-accounts?q=&page=&per=`: keys and certificates as
/// fingerprints only.
pub async fn channel_accounts(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let views = match channel_accounts_found(&state, &params).await {
        Ok(views) => views,
        Err(error) => return page::failure(&error),
    };
    let path = "/console/admin/channel-accounts";
    let list = ListTools::new(path, &params, count_line(&signed.t, views.len()));
    let (views, paging) = params.page_of(path, views);
    let merchants = match state.store.list_merchants().await {
        Ok(merchants) => merchants.into_iter().map(|m| (m.id, m.name)).collect(),
        Err(error) => return page::failure(&error),
    };
    let layout = Layout::new(&signed, "channel-accounts", "channel_accounts.title");
    page::render(&AccountsPage {
        t: layout.t,
        layout,
        list,
        paging,
        rows: views
            .into_iter()
            .map(|v| AccountRow {
                id: v.account.id,
                bank: v.account.channel,
                merchant_id: v.account.merchant_id,
                bank_merchant_id: v.account.bank_merchant_id,
                algorithm: v.account.signature_algorithm,
                payment_types: v.account.payment_types,
                notify_type: v.account.notify_type,
                cutover_hour: v.account.cutover_hour,
                bank_fee_bps: v.account.bank_fee_bps,
                trx_url: v.account.trx_url,
                certificate_subject: v.certificate_subject,
                certificate_sha256: v.certificate_sha256,
                key_sha256: v.key_sha256,
                created: local_time(v.account.created_at),
            })
            .collect(),
        merchants,
        banks: crate::channels::BANKS.to_vec(),
        may_manage: signed.can(Permission::ManageMerchants),
    })
}
