//! The operations console at `/console`: server-rendered pages (askama templates under
//! `templates/console/`) for operators, finance staff, auditors and administrators. It calls
//! the same core, store and flow functions as the API and the command line; it holds no rule
//! of its own beyond who may do what.
//!
//! # Adding a page
//!
//! One file per page (or family of pages) in this folder, exposing
//! `pub fn routes() -> Router<AppState>`, and one line `.merge(mypage::routes())` in
//! [`router`] below (plus its `mod` line). Add its navigation entry to [`page::NAV`] if it has
//! one (the common ones are there already).
//!
//! ## Who is signed in: [`SignedIn`]
//! Take [`SignedIn`] as a handler argument; without a live session the request is redirected
//! to `/console/login?next=...` and the handler never runs. It carries `username`, `role`,
//! `csrf`, `lang`, `t` (the catalogue, see below) and `from_address`.
//! - Reading needs no permission: every role reads every page (`/console/admin/users` is the
//!   exception: admin only).
//! - Acting needs one: first thing in the handler,
//!   `signed.require(&state, Permission::ClosePayment, &payment_id).await?;` — on refusal it
//!   writes `console.forbidden` (outcome `forbidden`) to the audit log and answers 403; the
//!   handler returns `Result<Response, Response>` for the `?`. To show or hide a button, pass
//!   `signed.can(Permission::X)` to the template. The table of roles and [`Permission`]s is
//!   in `roles.rs` (`Role::may`); a new kind of action adds a variant there.
//!
//! ## Forms and CSRF: [`ConsoleForm`]
//! Every POST handler takes [`ConsoleForm`] as its last argument (it reads the body): it
//! carries `signed` (the [`SignedIn`]) and `fields` ([`FormFields`]: `get("note")`,
//! `all("event_id")` for repeated fields, `raw("password")`). The form's `csrf` field has
//! been checked against the session before the handler runs; a missing or wrong one answered
//! 403 and wrote `console.csrf` (outcome `refused`), changing nothing. In the template every
//! form has
//! `<input type="hidden" name="csrf" value="{{ layout.csrf }}">`.
//! After acting, answer with a redirect and a flash message:
//! `page::redirect_with(&format!("/console/payments/{id}"), Flash::Ok("flash.closed"))` (the
//! key must be in [`page::FLASH_KEYS`] and in both catalogues; `Flash::Error` for failures).
//!
//! ## The page frame: [`Layout`] and `console/base.html`
//! A page's template struct has the fields `layout: Layout` and `t: Tr` (`t` is `layout.t`):
//! ```ignore
//! #[derive(Template)]
//! #[template(path = "console/payments.html")]
//! struct PaymentsPage { layout: Layout, t: Tr, rows: Vec<Row> }
//!
//! let layout = Layout::new(&signed, "payments", "payments.title"); // nav section, title key
//! page::render(&PaymentsPage { t: layout.t, layout, rows })
//! ```
//! and the template is
//! ```text
//! {% extends "console/base.html" %}
//! {% block content %} <h1>{{ t.get("payments.title") }}</h1> ... {% endblock %}
//! ```
//! `base.html` draws the navigation, the user (`data-test="whoami"`), the sign-out button, the
//! language links and the flash message. Other answers: [`page::not_found`],
//! [`page::forbidden`], [`page::message`], [`page::failure`] (500, details only in the log).
//! Charts: [`chart`] (`chart::bars`, `chart::lines`) returns escaped SVG for `{{ svg|safe }}`.
//!
//! ## Text: `t.get("key")`
//! Every visible word comes from `i18n/en.toml` and `i18n/zh-CN.toml` (flat `key = "text"`,
//! keys grouped by page: `payments.title`, `payments.col_amount`...). In templates
//! `{{ t.get("key") }}`; in Rust `signed.t.get("key")`, or `t.fill("key", &[("n", "3")])` for
//! a text with `{n}` in it. Add every key to both files: a test checks that both have the same
//! keys and that every `t.get("...")` in the templates and in this folder's code exists. Data
//! (ids, amounts, statuses) is shown as it is; `data-test` hooks are never translated.
//!
//! ## The audit log
//! Every console action is audited with the signed-in user as actor:
//! - store functions that already write an audit entry in their transaction (recon resolve,
//!   settlement review, users) get `&signed.audit_entry(action, target, detail, outcome, now)`;
//! - anything else: `signed.audit(&state, "payment.query", &id, detail, "ok").await` after
//!   acting (also for refusals the flow reports, with outcome `refused`).
//!
//! ## Answers and headers
//! Every `/console` response gets the console's Content-Security-Policy (no inline script or
//! style: styles go in `static/console.css`, SVG uses attributes), `X-Frame-Options: DENY`,
//! `Cache-Control: no-store` and a Referrer-Policy (`headers.rs`).
//!
//! # Sessions and sign-in
//! Users are created with `unipay admin create-user` or on the users page (`accounts.rs`:
//! argon2id hashes). A session is a random token in an HttpOnly, SameSite=Strict cookie
//! (`Secure` per `[console] secure_cookies`; by default unless the public URL is plain http on
//! a loopback host); the database keeps only its SHA-256. Sessions end after
//! `idle_timeout_s` unused or `absolute_timeout_s` after sign-in, at sign-out, and when the
//! user is disabled or changes role. Failed sign-ins wait `failure_delay_ms`, doubled per
//! failure in a row, and `max_failed_signins` in a row lock the account for `lockout_s`.

pub mod accounts;
mod accounts_page;
pub(crate) mod admin_page;
mod audit_export;
mod audit_page;
mod books_page;
pub(crate) mod channel_account_upload;
pub mod chart;
mod confirm;
pub mod cookies;
mod csv_export;
mod dashboard;
mod debit_batches_page;
pub mod form;
pub mod headers;
pub mod i18n;
mod identity_page;
mod late_success_page;
mod list_rows;
mod lists_export;
mod mandates_page;
mod names;
pub(crate) mod notifications_page;
pub mod page;
mod password_page;
mod payment_refund;
mod payments_export;
mod payments_page;
mod pretty;
pub(crate) mod recon_page;
mod refunds_export;
mod refunds_page;
pub mod roles;
pub mod session;
mod settlement_page;
pub(crate) mod signin;
mod signin_attempt;
mod views;
pub mod words;

pub use form::{ConsoleForm, FormFields};
pub use i18n::{Lang, Tr};
pub use page::{Flash, Layout};
pub use roles::{Permission, Role};
pub use session::SignedIn;

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub const STYLESHEET: &str = include_str!("../../../static/console.css");

/// Every console route, with the console's headers.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(dashboard::show))
        .route("/console/login", get(signin::form).post(signin::submit))
        .route("/console/logout", post(signin::logout))
        .route("/console/lang/{code}", get(signin::switch_language))
        .route("/console/static/console.css", get(stylesheet))
        .merge(audit_page::routes())
        .merge(accounts_page::routes())
        .merge(payments_page::routes())
        .merge(refunds_page::routes())
        .merge(mandates_page::routes())
        .merge(debit_batches_page::routes())
        .merge(identity_page::routes())
        .merge(notifications_page::routes())
        .merge(recon_page::routes())
        .merge(settlement_page::routes())
        .merge(books_page::routes())
        .merge(late_success_page::routes())
        .merge(admin_page::routes())
        .merge(confirm::routes())
        .merge(password_page::routes())
        .merge(payment_refund::routes())
        .merge(payments_export::routes())
        .merge(refunds_export::routes())
        .merge(audit_export::routes())
        .merge(lists_export::routes())
        .layer(middleware::from_fn(headers::console_headers))
}

async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
