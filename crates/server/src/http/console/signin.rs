//! Sign-in and sign-out. Before sign-in there is no session to bind a CSRF token to, so the
//! sign-in form carries the value of a cookie of its own (double submit; SameSite=Strict keeps
//! other sites from sending it). Failed sign-ins are answered slowly, more slowly each time,
//! and lock the account for a while after too many in a row: each attempt is counted in the
//! database before its password is checked (`Store::reserve_signin_attempt`), so a burst of
//! concurrent attempts cannot run more checks than the limit allows. Attempts are limited per
//! address and overall, and the password checks queue in a bounded line; what is over either
//! is answered 429 at once. Every attempt on an existing account is audited; refusals anyone
//! can cause without knowing a user (no token, unknown user, locked) are counted and sampled.

use super::cookies;
use super::form::{CSRF_FIELD, ConsoleForm, FormFields};
use super::i18n::{Lang, Tr};
use super::page::{self, Layout};
use super::session::{SESSION_COOKIE, SESSION_COOKIE_PATH, client_address, same_secret};
use super::signin_attempt::{Refusal, attempt, audit};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use unipay_core::ids::random_token;

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
    error: Option<String>,
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
    error: Option<Refusal>,
) -> Response {
    let lang = Lang::from_headers(&parts.headers);
    let t = lang.tr();
    let error = error.map(|refusal| match refusal {
        Refusal::Plain(key) => t.get(key).to_string(),
        Refusal::Locked { minutes } => {
            t.fill("flash.signin_locked", &[("minutes", &minutes.to_string())])
        }
        Refusal::Busy => t.get("flash.signin_busy").to_string(),
    });
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
    let from = client_address(&parts);
    // Before the body is read, so that a flood costs as little as can be.
    if !state.limits.signins_per_source.allow(&from) || !state.limits.signins.allow("") {
        state.metrics.refused("signin", "rate_limited");
        return too_many(&parts);
    }
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
    let expected = cookies::get(&parts.headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(&sent, expected) {
        state.metrics.refused("signin", "csrf");
        if state.limits.refused_samples.keep("signin", &from) {
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
        }
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
        Err(Refusal::Busy) => too_many(&parts),
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

/// 429, at once: over a rate limit, or the password checks' line is full.
fn too_many(parts: &Parts) -> Response {
    let lang = Lang::from_headers(&parts.headers);
    let layout = Layout::anonymous(lang, LOGIN_PATH, "signin.title");
    let mut response = page::render_status(
        StatusCode::TOO_MANY_REQUESTS,
        &AnonymousMessage {
            t: layout.t,
            layout,
            message: "flash.signin_busy",
        },
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
    response
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
