//! Passwords and lock-outs: every user changes their own password at
//! `/console/account/password` (proving the current one); an admin sets a new one for another
//! user or lifts their lock-out from the users page. Each goes through `accounts.rs`, which
//! audits it in the same transaction; a refusal is audited here.

use super::accounts::{self, AccountError, Actor};
use super::form::ConsoleForm;
use super::i18n::Tr;
use super::page::{self, Flash, Layout};
use super::roles::Permission;
use super::session::SignedIn;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};

const OWN: &str = "/console/account/password";
const USERS: &str = "/console/admin/users";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(OWN, get(form).post(change_own))
        .route("/console/admin/users/{username}/password", post(reset))
        .route("/console/admin/users/{username}/unlock", post(unlock))
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    layout: Layout,
    t: Tr,
    min_chars: usize,
}

/// `GET /console/account/password`
pub async fn form(signed: SignedIn) -> Response {
    let layout = Layout::new(&signed, "", "account.password_title");
    page::render(&PasswordPage {
        t: layout.t,
        layout,
        min_chars: accounts::MIN_PASSWORD_CHARS,
    })
}

fn actor<'a>(state: &AppState, signed: &'a SignedIn) -> Actor<'a> {
    Actor {
        name: &signed.username,
        from_address: &signed.from_address,
        now_ms: state.now_ms(),
    }
}

/// `POST /console/account/password` (`current`, `password`, `repeat`): on success every
/// session of the user ends, this one too, and the sign-in page says why.
pub async fn change_own(State(state): State<AppState>, form: ConsoleForm) -> Response {
    let signed = &form.signed;
    let (current, new, repeat) = (
        form.fields.raw("current"),
        form.fields.raw("password"),
        form.fields.raw("repeat"),
    );
    if new != repeat {
        return refuse(
            &state,
            signed,
            "flash.password_mismatch",
            "the two new passwords differ",
        )
        .await;
    }
    if accounts::check_password(new).is_err() {
        return refuse(
            &state,
            signed,
            "flash.user_bad_password",
            "the new password is too short",
        )
        .await;
    }
    match accounts::password_matches(&state.store, &signed.username, current).await {
        Ok(true) => {}
        Ok(false) => {
            return refuse(
                &state,
                signed,
                "flash.password_wrong",
                "wrong current password",
            )
            .await;
        }
        Err(error) => return page::failure(&error),
    }
    match accounts::set_password(
        &state.store,
        &signed.username,
        new,
        "console.user.password",
        actor(&state, signed),
    )
    .await
    {
        Ok(()) => page::redirect_with("/console/login", Flash::Ok("flash.password_changed")),
        Err(AccountError::BadPassword) => {
            refuse(
                &state,
                signed,
                "flash.user_bad_password",
                "the new password is too short",
            )
            .await
        }
        Err(error) => page::failure(&error),
    }
}

/// Back to the form with why, audited.
async fn refuse(state: &AppState, signed: &SignedIn, key: &'static str, detail: &str) -> Response {
    signed
        .audit(
            state,
            "console.user.password",
            &signed.username,
            detail,
            "refused",
        )
        .await;
    page::redirect_with(OWN, Flash::Error(key))
}

/// `POST /console/admin/users/{username}/password` (`password`): an admin sets a new password
/// for someone who lost theirs; their sessions end.
pub async fn reset(
    State(state): State<AppState>,
    Path(username): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = &form.signed;
    signed
        .require(&state, Permission::ManageUsers, &username)
        .await?;
    if username == signed.username {
        return Ok(page::redirect_with(USERS, Flash::Error("flash.not_self")));
    }
    let result = accounts::set_password(
        &state.store,
        &username,
        form.fields.raw("password"),
        "console.user.reset",
        actor(&state, signed),
    )
    .await;
    Ok(answer(
        &state,
        signed,
        "console.user.reset",
        &username,
        result,
        "flash.password_reset",
    )
    .await)
}

/// `POST /console/admin/users/{username}/unlock`: lifts a lock-out after failed sign-ins.
pub async fn unlock(
    State(state): State<AppState>,
    Path(username): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = &form.signed;
    signed
        .require(&state, Permission::ManageUsers, &username)
        .await?;
    let result = accounts::unlock(&state.store, &username, actor(&state, signed)).await;
    Ok(answer(
        &state,
        signed,
        "console.user.unlock",
        &username,
        result,
        "flash.user_unlocked",
    )
    .await)
}

/// Back to the users page with the outcome; a refusal is audited (a success was, with it).
async fn answer(
    state: &AppState,
    signed: &SignedIn,
    action: &str,
    target: &str,
    result: Result<(), AccountError>,
    done: &'static str,
) -> Response {
    match result {
        Ok(()) => page::redirect_with(USERS, Flash::Ok(done)),
        Err(error) => {
            if let AccountError::Store(store) = &error {
                tracing::error!(error = %store, action, "user change failed");
            }
            signed
                .audit(state, action, target, &error.to_string(), "refused")
                .await;
            page::redirect_with(USERS, Flash::Error(error.message_key()))
        }
    }
}
