//! Who is signed in: the `SignedIn` extractor, which every console page takes, and the session
//! cookie behind it. The cookie holds a random token; the database holds only its SHA-256, with
//! the session's CSRF token, its idle and absolute ends.

use super::i18n::{Lang, Tr};
use super::roles::{Permission, Role};
use super::{cookies, page};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use unipay_store::audit::AuditEntry;

pub const SESSION_COOKIE: &str = "unipay_console";
pub const SESSION_COOKIE_PATH: &str = "/console";

/// The signed-in user of a console request. Taking it as an argument is what makes a page
/// need a sign-in: without a live session the request is sent to `/console/login`.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub username: String,
    pub role: Role,
    /// The session's CSRF token, for the hidden `csrf` field of every form.
    pub csrf: String,
    /// The user's language and its catalogue.
    pub lang: Lang,
    pub t: Tr,
    /// Where the request came from, for the audit log.
    pub from_address: String,
    /// The path and query asked for (the language switch comes back to it).
    pub path_and_query: String,
    pub(super) token_sha256: String,
}

impl SignedIn {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.may(permission)
    }

    /// `Ok` if the user's role has `permission`; otherwise writes `console.forbidden` to the
    /// audit log (with what was tried on what) and answers 403. Use it first in every handler
    /// that acts: `signed.require(&state, Permission::ClosePayment, &id).await?;`
    pub async fn require(
        &self,
        state: &AppState,
        permission: Permission,
        target: &str,
    ) -> Result<(), Response> {
        if self.can(permission) {
            return Ok(());
        }
        let detail = format!(
            "needs {} (role {})",
            permission.as_str(),
            self.role.as_str()
        );
        self.audit(state, "console.forbidden", target, &detail, "forbidden")
            .await;
        Err(page::forbidden(self))
    }

    /// An audit entry by this user, for store functions that write it in the same transaction
    /// as their change (`recon`, `settlement`, users...).
    pub fn audit_entry<'a>(
        &'a self,
        action: &'a str,
        target: &'a str,
        detail: &'a str,
        outcome: &'a str,
        now_ms: i64,
    ) -> AuditEntry<'a> {
        AuditEntry {
            actor: &self.username,
            action,
            target,
            detail,
            from_address: &self.from_address,
            outcome,
            now_ms,
        }
    }

    /// Records an action on its own (one whose change has no transaction of its own to join,
    /// or a refusal). A failure to record is logged, not shown: the action has happened.
    pub async fn audit(
        &self,
        state: &AppState,
        action: &str,
        target: &str,
        detail: &str,
        outcome: &str,
    ) {
        let entry = self.audit_entry(action, target, detail, outcome, state.now_ms());
        if let Err(error) = state.store.record_audit(&entry).await {
            tracing::error!(%error, action, target, "audit entry not written");
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, Response> {
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/console".into());
        let to_login = || {
            let next = if parts.method == Method::GET {
                format!(
                    "?next={}",
                    form_urlencoded::byte_serialize(path_and_query.as_bytes()).collect::<String>()
                )
            } else {
                String::new()
            };
            Redirect::to(&format!("/console/login{next}")).into_response()
        };
        let Some(token) = cookies::get(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let token_sha256 = token_hash(token);
        let session = match state.store.console_session(&token_sha256).await {
            Ok(Some(session)) => session,
            Ok(None) => return Err(to_login()),
            Err(error) => return Err(page::failure(&error)),
        };
        let now = state.now_ms();
        let config = &state.config.console;
        let idle_ms = config.idle_timeout_s.saturating_mul(1000);
        let role = Role::parse(&session.user.role);
        let ended = now >= session.expires_at
            || now >= session.last_seen_at.saturating_add(idle_ms)
            || !session.user.is_active()
            || role.is_none();
        let Some(role) = role.filter(|_| !ended) else {
            if let Err(error) = state.store.close_console_session(&token_sha256, None).await {
                tracing::warn!(%error, "expired console session not removed");
            }
            return Err(to_login());
        };
        // Writing on every page view would be a write per click; a sliver of the idle time
        // is precision enough.
        if now - session.last_seen_at >= (idle_ms / 8).min(60_000) {
            touch(state, &token_sha256, now).await;
        }
        let lang = Lang::from_headers(&parts.headers);
        Ok(SignedIn {
            username: session.user.username,
            role,
            csrf: session.csrf_token,
            lang,
            t: lang.tr(),
            from_address: client_address(parts),
            path_and_query,
            token_sha256,
        })
    }
}

async fn touch(state: &AppState, token_sha256: &str, now: i64) {
    if let Err(error) = state.store.touch_console_session(token_sha256, now).await {
        tracing::warn!(%error, "console session not touched");
    }
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The peer's IP address (the console is reached directly or through a proxy we do not
/// trust to say who its client was).
pub fn client_address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Whether two secrets are equal, in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session token in a request, if any (sign-out needs it without a live session).
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    cookies::get(headers, SESSION_COOKIE)
}
