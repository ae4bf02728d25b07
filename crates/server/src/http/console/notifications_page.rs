//! `/console/notifications`: dead letters and the endpoints that fail, and the resend of one
//! event or many (`unipay admin resend-event`'s store function: same event id, schedule
//! restarted).

use super::admin_page::ListTools;
use super::csv_export::MAX_ROWS;
use super::i18n::Tr;
use super::list_rows::{ListParams, count_line};
use super::names::Names;
use super::page::{self, Flash, Layout, local_time};
use super::roles::Permission;
use super::session::SignedIn;
use super::views::{Paging, or_blank};
use super::{ConsoleForm, FormFields};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use unipay_store::StoreError;
use unipay_store::browse::notifications::{AffectedPayment, FailingEndpoint};
use unipay_store::outbox::OutboxEvent;

/// At most this many events in one resend.
const RESEND_MAX: usize = 500;

/// The affected payments an endpoint's row names.
const PAYMENTS_SHOWN: usize = 10;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/notifications", get(show))
        .route("/console/notifications/resend", post(resend))
        .route(
            "/console/notifications/resend-endpoint",
            post(resend_endpoint),
        )
}

pub struct DeadRow {
    pub id: String,
    pub payment_id: String,
    pub event_type: String,
    pub url: String,
    pub attempts: i64,
    pub last_error: String,
    pub created: String,
}

pub struct EndpointRow {
    pub url: String,
    pub app_id: String,
    pub app_name: String,
    /// The payments whose notifications to this endpoint are failing (the first few).
    pub payments: Vec<String>,
    /// More than [`PAYMENTS_SHOWN`] of them.
    pub more_payments: usize,
    pub retrying: i64,
    pub dead: i64,
    pub last_error: String,
    pub since: String,
}

#[derive(Template)]
#[template(path = "console/notifications.html")]
struct NotificationsPage {
    layout: Layout,
    t: Tr,
    dead: Vec<DeadRow>,
    endpoints: Vec<EndpointRow>,
    may_resend: bool,
    /// The dead letters' search, count, CSV link and pages.
    list: ListTools,
    paging: Paging,
}

/// The dead letters `q` finds (event id, payment id, event type or URL), oldest first.
pub(crate) async fn dead_found(
    state: &AppState,
    params: &ListParams,
) -> Result<Vec<OutboxEvent>, StoreError> {
    let mut dead = state
        .store
        .list_events_by_status("dead", MAX_ROWS as i64)
        .await?;
    dead.retain(|e| params.finds(&[&e.id, &e.payment_id, &e.event_type, &e.url]));
    Ok(dead)
}

/// `GET /console/notifications?q=&page=&per=` (the search and pages are the dead letters').
pub async fn show(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Response {
    let dead = match dead_found(&state, &params).await {
        Ok(dead) => dead,
        Err(error) => return page::failure(&error),
    };
    let path = "/console/notifications";
    let mut list = ListTools::new(path, &params, count_line(&signed.t, dead.len()));
    list.export = format!("{path}/dead.csv?{}", params.filters());
    let (dead, paging) = params.page_of(path, dead);
    let (endpoints, affected, names) = match (
        state.store.failing_endpoints().await,
        state.store.affected_payments().await,
        Names::load(&state.store).await,
    ) {
        (Ok(endpoints), Ok(affected), Ok(names)) => (endpoints, affected, names),
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => {
            return page::failure(&error);
        }
    };
    let layout = Layout::new(&signed, "notifications", "notifications.title");
    page::render(&NotificationsPage {
        t: layout.t,
        layout,
        list,
        paging,
        dead: dead
            .iter()
            .map(|e| DeadRow {
                id: e.id.clone(),
                payment_id: e.payment_id.clone(),
                event_type: e.event_type.clone(),
                url: e.url.clone(),
                attempts: e.attempts,
                last_error: or_blank(&e.last_error),
                created: local_time(e.created_at),
            })
            .collect(),
        endpoints: endpoints
            .iter()
            .map(|e| endpoint_row(e, &affected, &names))
            .collect(),
        may_resend: signed.can(Permission::ResendNotification),
    })
}

fn endpoint_row(e: &FailingEndpoint, affected: &[AffectedPayment], names: &Names) -> EndpointRow {
    let mut payments: Vec<String> = affected
        .iter()
        .filter(|a| a.url == e.url && a.app_id == e.app_id)
        .map(|a| a.payment_id.clone())
        .collect();
    let more_payments = payments.len().saturating_sub(PAYMENTS_SHOWN);
    payments.truncate(PAYMENTS_SHOWN);
    EndpointRow {
        url: e.url.clone(),
        app_id: e.app_id.clone(),
        app_name: names.app(&e.app_id),
        payments,
        more_payments,
        retrying: e.retrying,
        dead: e.dead,
        last_error: or_blank(&e.last_error),
        since: local_time(e.since),
    }
}

/// `POST /console/notifications/resend` (`event_id` repeated; `back`, a console path to
/// return to). Each event is audited on its own.
pub async fn resend(
    State(state): State<AppState>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    let (ids, back) = read_resend(&fields);
    let target = ids.join(",");
    signed
        .require(&state, Permission::ResendNotification, &target)
        .await?;
    if ids.is_empty() || ids.len() > RESEND_MAX {
        return Ok(page::redirect_with(&back, Flash::Error("flash.bad_input")));
    }
    let now = state.now_ms();
    let mut missing = 0;
    for id in &ids {
        match state.store.resend_event(id, now).await {
            Ok(true) => {
                signed
                    .audit(&state, "notification.resend", id, "queued again", "ok")
                    .await;
            }
            Ok(false) => {
                missing += 1;
                signed
                    .audit(
                        &state,
                        "notification.resend",
                        id,
                        "no such event",
                        "refused",
                    )
                    .await;
            }
            Err(error) => return Ok(page::failure(&error)),
        }
    }
    let flash = if missing == 0 {
        Flash::Ok("flash.resent")
    } else {
        Flash::Error("flash.resend_none")
    };
    Ok(page::redirect_with(&back, flash))
}

/// `POST /console/notifications/resend-endpoint` (`url`, `app_id`): every failing event of
/// the endpoint queued again, audited once with how many.
pub async fn resend_endpoint(
    State(state): State<AppState>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    let url = fields.get("url").unwrap_or("");
    let app_id = fields.get("app_id").unwrap_or("");
    signed
        .require(&state, Permission::ResendNotification, url)
        .await?;
    let back = "/console/notifications";
    if url.is_empty() || app_id.is_empty() {
        return Ok(page::redirect_with(back, Flash::Error("flash.bad_input")));
    }
    match state
        .store
        .resend_endpoint(url, app_id, state.now_ms())
        .await
    {
        Ok(0) => {
            signed
                .audit(
                    &state,
                    "notification.resend_endpoint",
                    url,
                    "nothing failing",
                    "refused",
                )
                .await;
            Ok(page::redirect_with(back, Flash::Error("flash.resend_none")))
        }
        Ok(count) => {
            let detail = format!("{count} events of app {app_id} queued again");
            signed
                .audit(&state, "notification.resend_endpoint", url, &detail, "ok")
                .await;
            Ok(page::redirect_with(back, Flash::Ok("flash.resent")))
        }
        Err(error) => Ok(page::failure(&error)),
    }
}

/// The events to send again and the console path to go back to, as [`resend`] reads them.
pub(crate) fn read_resend(fields: &FormFields) -> (Vec<&str>, String) {
    let back = fields
        .get("back")
        .filter(|path| is_console_path(path))
        .unwrap_or("/console/notifications")
        .to_string();
    (fields.all("event_id"), back)
}

/// Only a path inside the console: never another site.
pub(crate) fn is_console_path(path: &str) -> bool {
    path.starts_with("/console/")
        && !path.contains("//")
        && !path.contains('\\')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-.".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_stays_in_the_console() {
        assert!(is_console_path("/console/payments/pay_1"));
        assert!(!is_console_path("//evil.example/console/"));
        assert!(!is_console_path("/console//evil.example"));
        assert!(!is_console_path("https://evil.example"));
        assert!(!is_console_path("/console/x?y=1"));
    }
}
