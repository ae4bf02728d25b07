//! The frame of every console page (`Layout`, rendered by `templates/console/base.html`) and
//! the standard answers: a rendered page, a redirect with a flash message, 403, 404, 500.

use super::i18n::{Lang, Tr};
use super::session::SignedIn;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use unipay_core::calendar::{self, AccountingDate};

/// One link of the navigation bar.
#[derive(Debug, Clone, Copy)]
pub struct NavItem {
    /// Matched against `Layout::section` to mark the current page.
    pub section: &'static str,
    pub href: &'static str,
    /// Catalogue key of its label.
    pub label: &'static str,
    pub admin_only: bool,
}

/// The navigation bar, in order. A new page adds its line here.
pub const NAV: &[NavItem] = &[
    nav("dashboard", "/console", "nav.dashboard"),
    nav("payments", "/console/payments", "nav.payments"),
    nav("refunds", "/console/refunds", "nav.refunds"),
    nav(
        "refund-batches",
        "/console/refund-batches",
        "nav.refund_batches",
    ),
    nav("mandates", "/console/mandates", "nav.mandates"),
    nav(
        "debit-batches",
        "/console/debit-batches",
        "nav.debit_batches",
    ),
    nav(
        "identity",
        "/console/identity-verifications",
        "nav.identity",
    ),
    nav(
        "notifications",
        "/console/notifications",
        "nav.notifications",
    ),
    nav("recon", "/console/recon", "nav.recon"),
    nav("settlement", "/console/settlement", "nav.settlement"),
    nav("merchants", "/console/admin/merchants", "nav.merchants"),
    nav("apps", "/console/admin/apps", "nav.apps"),
    nav(
        "channel-accounts",
        "/console/admin/channel-accounts",
        "nav.channel_accounts",
    ),
    NavItem {
        section: "users",
        href: "/console/admin/users",
        label: "nav.users",
        admin_only: true,
    },
    nav("audit", "/console/audit", "nav.audit"),
];

const fn nav(section: &'static str, href: &'static str, label: &'static str) -> NavItem {
    NavItem {
        section,
        href,
        label,
        admin_only: false,
    }
}

/// What `base.html` needs: every page template has a field `layout: Layout` (and `t: Tr`,
/// a copy of `layout.t`, for brevity in the template).
#[derive(Debug, Clone)]
pub struct Layout {
    pub t: Tr,
    /// Catalogue key of the page's title.
    pub title: &'static str,
    /// Which navigation item is current.
    pub section: &'static str,
    /// Empty when nobody is signed in (the sign-in page).
    pub username: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// The current path and query, URL-encoded, for the language links to come back to.
    pub back: String,
    /// Catalogue keys of a message carried by `?ok=` / `?error=` after a redirect.
    pub flash_ok: Option<&'static str>,
    pub flash_error: Option<&'static str>,
}

impl Layout {
    pub fn new(signed: &SignedIn, section: &'static str, title: &'static str) -> Layout {
        let is_admin = signed.role == super::roles::Role::Admin;
        let mut layout = Layout::anonymous(signed.lang, &signed.path_and_query, title);
        layout.section = section;
        layout.username = signed.username.clone();
        layout.role = signed.role.as_str();
        layout.csrf = signed.csrf.clone();
        layout.nav = NAV
            .iter()
            .filter(|item| is_admin || !item.admin_only)
            .copied()
            .collect();
        layout
    }

    /// For pages shown before sign-in.
    pub fn anonymous(lang: Lang, path_and_query: &str, title: &'static str) -> Layout {
        let t = lang.tr();
        let query = path_and_query.split_once('?').map(|(_, q)| q).unwrap_or("");
        let flash = |name: &str| {
            form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| flash_key(&t, &value))
        };
        Layout {
            t,
            title,
            section: "",
            username: String::new(),
            role: "",
            csrf: String::new(),
            nav: Vec::new(),
            back: form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect(),
            flash_ok: flash("ok"),
            flash_error: flash("error"),
        }
    }

    pub fn signed_in(&self) -> bool {
        !self.username.is_empty()
    }

    pub fn is_current(&self, item: &NavItem) -> bool {
        item.section == self.section
    }
}

/// Only keys of the catalogue's `flash.` family may arrive from a URL, and only as the
/// catalogue's own `'static` key (so nothing from the URL is ever echoed).
fn flash_key(t: &Tr, value: &str) -> Option<&'static str> {
    FLASH_KEYS
        .iter()
        .copied()
        .find(|key| *key == value && t.has(key))
}

/// Every flash message a redirect may name. A page that adds one adds it here and to both
/// catalogues.
pub const FLASH_KEYS: &[&str] = &[
    "flash.done",
    "flash.signed_out",
    "flash.failed",
    "flash.user_created",
    "flash.user_disabled",
    "flash.user_enabled",
    "flash.user_role_changed",
    "flash.user_bad_username",
    "flash.user_bad_role",
    "flash.user_bad_password",
    "flash.user_taken",
    "flash.user_missing",
    "flash.not_self",
    "flash.query_sent",
    "flash.closed",
    "flash.resent",
    "flash.resolved",
    "flash.approved",
    "flash.marked_paid",
    "flash.cancelled",
    "flash.app_disabled",
    "flash.bad_input",
    "flash.batch_refused",
    "flash.same_approver",
    "flash.decision_missing",
    "flash.merchant_created",
    "flash.not_closable",
    "flash.not_pending",
    "flash.note_required",
    "flash.query_unknown",
    "flash.resend_none",
    "flash.channel_account_added",
    "flash.mandate_not_pending",
    // Passwords and lock-outs (password_page.rs).
    "flash.password_changed",
    "flash.password_mismatch",
    "flash.password_wrong",
    "flash.password_reset",
    "flash.user_unlocked",
    // A refund started from a payment's page (payment_refund.rs).
    "flash.refund_succeeded",
    "flash.refund_pending",
    "flash.refund_failed",
    "flash.refund_refused",
    // Late successes, the bank's answer, finance's runs.
    "flash.late_accepted",
    "flash.late_refunded",
    "flash.late_not_open",
    "flash.late_nothing_taken",
    "flash.late_refund_refused",
    "flash.statement_fetched",
    "flash.statement_same",
    "flash.statement_failed",
    "flash.recon_clean",
    "flash.recon_differences",
    "flash.recon_no_statement",
    "flash.settle_blocked",
    "flash.batches_created",
    "flash.batches_existing",
    "flash.nothing_to_settle",
];

/// 200 with the rendered page.
pub fn render(template: &impl Template) -> Response {
    render_status(StatusCode::OK, template)
}

pub fn render_status(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => failure(&error),
    }
}

/// 303 to `path` with a flash message: `Flash::Ok("flash.resent")`.
pub fn redirect_with(path: &str, flash: Flash) -> Response {
    let (name, key) = match flash {
        Flash::Ok(key) => ("ok", key),
        Flash::Error(key) => ("error", key),
    };
    let separator = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{separator}{name}={key}")).into_response()
}

#[derive(Debug, Clone, Copy)]
pub enum Flash {
    Ok(&'static str),
    Error(&'static str),
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage {
    layout: Layout,
    t: Tr,
    message: &'static str,
}

/// A page with one message in the console's frame.
pub fn message(
    signed: &SignedIn,
    status: StatusCode,
    title: &'static str,
    message: &'static str,
) -> Response {
    let layout = Layout::new(signed, "", title);
    render_status(
        status,
        &MessagePage {
            t: layout.t,
            layout,
            message,
        },
    )
}

/// 403: the role may not do this (the caller has written `console.forbidden`).
pub fn forbidden(signed: &SignedIn) -> Response {
    message(
        signed,
        StatusCode::FORBIDDEN,
        "forbidden.title",
        "forbidden.text",
    )
}

/// 403: the form's CSRF token was missing or wrong (the caller has written `console.csrf`).
pub fn csrf_refused(signed: &SignedIn) -> Response {
    message(signed, StatusCode::FORBIDDEN, "csrf.title", "csrf.text")
}

pub fn not_found(signed: &SignedIn) -> Response {
    message(
        signed,
        StatusCode::NOT_FOUND,
        "not_found.title",
        "not_found.text",
    )
}

/// 500, with the details in the log only.
pub fn failure(error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "console request failed");
    let text = format!(
        "{} / {}",
        Lang::ZhCn.tr().get("error.internal"),
        Lang::En.tr().get("error.internal")
    );
    (StatusCode::INTERNAL_SERVER_ERROR, text).into_response()
}

/// The console shows times as the bank counts them, Beijing time, and says so on every one
/// (a reader abroad, or a browser in another zone, would otherwise guess):
/// `YYYY-MM-DD HH:MM:SS UTC+8`.
pub fn local_time(ms: i64) -> String {
    calendar::beijing(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC+8").to_string())
        .unwrap_or_default()
}

/// The instant (ms) a `YYYY-MM-DD` day starts in UTC+8; `None` for anything else.
pub fn day_start_ms(date: &str) -> Option<i64> {
    AccountingDate::parse(date)?.start_ms()
}
