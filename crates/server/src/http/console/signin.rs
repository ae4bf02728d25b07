//! Sign-in and sign-out. Before sign-in there is no session to bind a CSRF token to, so the
//! sign-in form carries the value of a cookie of its own (double submit; SameSite=Strict keeps
//! other sites from sending it). Failed sign-ins are answered slowly, more slowly each time,
//! and lock the account for a while after too many in a row. Every attempt is audited.

use super::accounts::{decoy_hash, verify_password};
use super::form::{CSRF_FIELD, ConsoleForm, FormFields};
use super::i18n::{Lang, Tr};
use super::page::{self, Layout};
use super::session::{self, SESSION_COOKIE, SESSION_COOKIE_PATH, client_address, same_secret};
use super::{cookies, roles::Role};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use unipay_core::ids::random_token;
use unipay_store::audit::AuditEntry;
use unipay_store::console_sessions::NewConsoleSession;

const LOGIN_COOKIE: &str = "unipay_console_login";
const LOGIN_PATH: &str = "/console/login";

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    layout: Layout,
    t: Tr,
    csrf: &'a str,
    next: &'a str,
    username: &'a str,
    error: Option<&'static str>,
}

/// `GET /console/login`
pub async fn form(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let next = query_value(&parts, "next").unwrap_or_default();
    show(&state, &parts, StatusCode::OK, &next, "", None)
}

fn show(
    state: &AppState,
    parts: &Parts,
    status: StatusCode,
    next: &str,
    username: &str,
    error: Option<&'static str>,
) -> Response {
    let lang = Lang::from_headers(&parts.headers);
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or(LOGIN_PATH);
    let layout = Layout::anonymous(lang, path_and_query, "signin.title");
    // One token per browser until it signs in; a fresh one if it has none.
    let token = cookies::get(&parts.headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 32 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_string)
        .unwrap_or_else(|| random_token(32));
    let mut response = page::render_status(
        status,
        &LoginPage {
            t: layout.t,
            layout,
            csrf: &token,
            next: safe_next(next),
            username,
            error,
        },
    );
    if let Some(cookie) = cookies::set(LOGIN_COOKIE, &token, LOGIN_PATH, None, secure(state)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /console/login`
pub async fn submit(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, state.config.api.max_body_bytes).await {
        Ok(body) => body,
        Err(_) => return StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    let SigninForm {
        username,
        next,
        csrf: sent,
        password,
    } = read_form(&body);
    let from = client_address(&parts);
    let expected = cookies::get(&parts.headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(&sent, expected) {
        let detail = format!("sign-in form without its token (user name {username:?})");
        audit(
            &state,
            "",
            "console.csrf",
            LOGIN_PATH,
            &detail,
            "refused",
            &from,
        )
        .await;
        let lang = Lang::from_headers(&parts.headers);
        let layout = Layout::anonymous(lang, LOGIN_PATH, "csrf.title");
        return page::render_status(
            StatusCode::FORBIDDEN,
            &AnonymousMessage {
                t: layout.t,
                layout,
                message: "csrf.text",
            },
        );
    }
    let outcome = attempt(&state, &username, &password, &from).await;
    match outcome {
        Ok(token) => signed_in(&state, &token, &next),
        Err(error) => show(
            &state,
            &parts,
            StatusCode::UNAUTHORIZED,
            &next,
            &username,
            Some(error),
        ),
    }
}

/// The sign-in form as [`submit`] reads it.
pub(crate) struct SigninForm {
    /// Trimmed, at most 64 characters (it is shown back and written to the audit log).
    pub username: String,
    pub next: String,
    pub csrf: String,
    /// Exactly as sent.
    pub password: String,
}

pub(crate) fn read_form(body: &[u8]) -> SigninForm {
    let fields = FormFields::parse(body);
    SigninForm {
        username: fields
            .get("username")
            .unwrap_or("")
            .chars()
            .take(64)
            .collect(),
        next: fields.get("next").unwrap_or("").to_string(),
        csrf: fields.raw(CSRF_FIELD).to_string(),
        password: fields.raw("password").to_string(),
    }
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct AnonymousMessage {
    layout: Layout,
    t: Tr,
    message: &'static str,
}

/// Checks the password and opens a session; `Err` holds the catalogue key to show.
async fn attempt(
    state: &AppState,
    username: &str,
    password: &str,
    from: &str,
) -> Result<String, &'static str> {
    let config = &state.config.console;
    let user = match state.store.get_console_user(username).await {
        Ok(user) => user,
        Err(error) => {
            tracing::error!(%error, "sign-in could not read the user");
            return Err("flash.failed");
        }
    };
    let now = state.now_ms();
    let Some(user) = user.filter(|u| Role::parse(&u.role).is_some()) else {
        // As slow as a wrong password, so that names cannot be told apart by timing.
        check(password, decoy_hash()).await;
        audit(
            state,
            username,
            "console.signin",
            username,
            "unknown user",
            "failed",
            from,
        )
        .await;
        tokio::time::sleep(config.failure_delay(1)).await;
        return Err("flash.signin_failed");
    };
    if user.locked_until > now {
        audit(
            state,
            username,
            "console.signin",
            username,
            "account locked",
            "locked",
            from,
        )
        .await;
        tokio::time::sleep(config.failure_delay(user.failed_signins)).await;
        return Err("flash.signin_locked");
    }
    let matches = check(password, &user.password_hash).await;
    if matches && user.is_active() {
        return open_session(state, &user.username, from, now).await;
    }
    if !user.is_active() {
        audit(
            state,
            username,
            "console.signin",
            username,
            "account disabled",
            "disabled",
            from,
        )
        .await;
        tokio::time::sleep(config.failure_delay(1)).await;
        return Err("flash.signin_failed");
    }
    let lock_until = now.saturating_add(config.lockout_s.saturating_mul(1000));
    let lock_detail = format!(
        "locked for {} s after {} failures",
        config.lockout_s, config.max_failed_signins
    );
    let failure = entry(
        username,
        "console.signin",
        username,
        "wrong password",
        "failed",
        from,
        now,
    );
    let lockout = entry(
        username,
        "console.signin.lockout",
        username,
        &lock_detail,
        "locked",
        from,
        now,
    );
    let recorded = state
        .store
        .record_signin_failure(
            username,
            config.max_failed_signins.max(1),
            lock_until,
            &failure,
            &lockout,
        )
        .await;
    let failures = match recorded {
        Ok(Some(failure)) => {
            if failure.just_locked {
                tracing::warn!(username, "console account locked after failed sign-ins");
            }
            failure
        }
        Ok(None) => return Err("flash.signin_failed"),
        Err(error) => {
            tracing::error!(%error, "failed sign-in not recorded");
            return Err("flash.failed");
        }
    };
    tokio::time::sleep(config.failure_delay(failures.failed_signins)).await;
    if failures.locked_until > now {
        Err("flash.signin_locked")
    } else {
        Err("flash.signin_failed")
    }
}

/// argon2 takes tens of milliseconds and ~19 MiB per check: a few at a time, so that a flood
/// of sign-ins queues instead of taking the machine's memory and cores from the payments.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

async fn check(password: &str, hash: &str) -> bool {
    let Ok(_permit) = PASSWORD_CHECKS.acquire().await else {
        return false;
    };
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false)
}

async fn open_session(
    state: &AppState,
    username: &str,
    from: &str,
    now: i64,
) -> Result<String, &'static str> {
    let config = &state.config.console;
    let token = random_token(43);
    let token_sha256 = session::token_hash(&token);
    let csrf = random_token(32);
    let session = NewConsoleSession {
        token_sha256: &token_sha256,
        username,
        csrf_token: &csrf,
        from_address: from,
        now_ms: now,
        expires_at: now.saturating_add(config.absolute_timeout_s.saturating_mul(1000)),
    };
    let idle_since = now.saturating_sub(config.idle_timeout_s.saturating_mul(1000));
    let entry = entry(username, "console.signin", username, "", "ok", from, now);
    match state
        .store
        .open_console_session(&session, idle_since, &entry)
        .await
    {
        Ok(()) => Ok(token),
        Err(error) => {
            tracing::error!(%error, "console session not opened");
            Err("flash.failed")
        }
    }
}

fn signed_in(state: &AppState, token: &str, next: &str) -> Response {
    let mut response = Redirect::to(safe_next(next)).into_response();
    let secure = secure(state);
    let max_age = state.config.console.absolute_timeout_s;
    let headers = response.headers_mut();
    for cookie in [
        cookies::set(
            SESSION_COOKIE,
            token,
            SESSION_COOKIE_PATH,
            Some(max_age),
            secure,
        ),
        cookies::set(LOGIN_COOKIE, "", LOGIN_PATH, Some(0), secure),
    ]
    .into_iter()
    .flatten()
    {
        headers.append(header::SET_COOKIE, cookie);
    }
    response
}

/// `POST /console/logout`
pub async fn logout(State(state): State<AppState>, form: ConsoleForm) -> Response {
    let signed = &form.signed;
    let entry = signed.audit_entry(
        "console.signout",
        &signed.username,
        "",
        "ok",
        state.now_ms(),
    );
    if let Err(error) = state
        .store
        .close_console_session(&signed.token_sha256, Some(&entry))
        .await
    {
        return page::failure(&error);
    }
    let mut response = page::redirect_with(LOGIN_PATH, page::Flash::Ok("flash.signed_out"));
    if let Some(cookie) = cookies::set(
        SESSION_COOKIE,
        "",
        SESSION_COOKIE_PATH,
        Some(0),
        secure(&state),
    ) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /console/lang/{code}?back=/console/...`: remembers the language for a year.
pub async fn switch_language(
    State(state): State<AppState>,
    axum::extract::Path(code): axum::extract::Path<String>,
    request: Request,
) -> Response {
    let (parts, _) = request.into_parts();
    let back = query_value(&parts, "back").unwrap_or_default();
    // The sign-in page may switch language too, and comes back to itself.
    let to_login = (back == LOGIN_PATH || back.starts_with("/console/login?"))
        && safe_next(&back.replacen("/console/login", "/console/x", 1)) != "/console";
    let target = if to_login {
        back.as_str()
    } else {
        safe_next(&back)
    };
    let mut response = Redirect::to(target).into_response();
    if let Some(lang) = Lang::parse(&code)
        && let Some(cookie) = cookies::set(
            super::i18n::LANG_COOKIE,
            lang.code(),
            SESSION_COOKIE_PATH,
            Some(365 * 86_400),
            secure(&state),
        )
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn secure(state: &AppState) -> bool {
    state
        .config
        .console
        .cookies_secure(&state.config.public_url)
}

/// Only a path inside the console: never another site (`//host`, `/\host`) or scheme.
pub(crate) fn safe_next(next: &str) -> &str {
    let inside =
        (next == "/console" || next.starts_with("/console/") || next.starts_with("/console?"))
            && !next.contains("//")
            && !next.contains('\\')
            && !next.starts_with("/console/login")
            && !next.starts_with("/console/lang")
            && next.bytes().all(|b| b.is_ascii_graphic());
    if inside { next } else { "/console" }
}

fn query_value(parts: &Parts, name: &str) -> Option<String> {
    form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn entry<'a>(
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    detail: &'a str,
    outcome: &'a str,
    from: &'a str,
    now_ms: i64,
) -> AuditEntry<'a> {
    AuditEntry {
        actor: if actor.is_empty() { "anonymous" } else { actor },
        action,
        target,
        detail,
        from_address: from,
        outcome,
        now_ms,
    }
}

async fn audit(
    state: &AppState,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    outcome: &str,
    from: &str,
) {
    let entry = entry(actor, action, target, detail, outcome, from, state.now_ms());
    if let Err(error) = state.store.record_audit(&entry).await {
        tracing::error!(%error, action, "audit entry not written");
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_inside_the_console() {
        assert_eq!(safe_next("/console/payments?q=1"), "/console/payments?q=1");
        assert_eq!(safe_next("/console"), "/console");
        assert_eq!(safe_next("https://evil.example"), "/console");
        assert_eq!(safe_next("//evil.example/console"), "/console");
        assert_eq!(safe_next("/console//evil"), "/console");
        assert_eq!(safe_next("/consoleevil"), "/console");
        assert_eq!(safe_next("/console/login"), "/console");
        assert_eq!(safe_next(""), "/console");
        assert_eq!(
            safe_next("/console/x?next=%2Fconsole"),
            "/console/x?next=%2Fconsole"
        );
    }
}
