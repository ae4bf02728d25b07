//! `/console/admin/users`: the console's users, for admins only: list, create, disable or
//! enable, change role. Every change goes through `accounts.rs` and is audited with it.

use super::accounts::{self, AccountError, Actor};
use super::admin_page::ListTools;
use super::form::ConsoleForm;
use super::i18n::Tr;
use super::list_rows::{ListParams, count_line};
use super::page::{self, Flash, Layout, local_time};
use super::roles::{Permission, Role};
use super::session::SignedIn;
use super::views::Paging;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use unipay_store::StoreError;
use unipay_store::console_users::ConsoleUser;

const USERS: &str = "/console/admin/users";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(USERS, get(list).post(create))
        .route("/console/admin/users/{username}/disable", post(disable))
        .route("/console/admin/users/{username}/enable", post(enable))
        .route("/console/admin/users/{username}/role", post(change_role))
}

pub struct Row {
    pub user: ConsoleUser,
    pub created: String,
    pub locked: bool,
    pub is_self: bool,
}

#[derive(Template)]
#[template(path = "console/users.html")]
struct UsersPage {
    layout: Layout,
    t: Tr,
    rows: Vec<Row>,
    roles: Vec<&'static str>,
    list: ListTools,
    paging: Paging,
}

/// The users `q` finds (name, role or status).
pub(crate) async fn users_found(
    state: &AppState,
    params: &ListParams,
) -> Result<Vec<ConsoleUser>, StoreError> {
    let mut users = state.store.list_console_users().await?;
    users.retain(|u| params.finds(&[&u.username, &u.role, &u.status]));
    Ok(users)
}

/// `GET /console/admin/users?q=&page=&per=`
pub async fn list(
    State(state): State<AppState>,
    signed: SignedIn,
    Query(params): Query<ListParams>,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::ManageUsers, USERS)
        .await?;
    let users = users_found(&state, &params)
        .await
        .map_err(|e| page::failure(&e))?;
    let list = ListTools::new(USERS, &params, count_line(&signed.t, users.len()));
    let (users, paging) = params.page_of(USERS, users);
    let now = state.now_ms();
    let rows = users
        .into_iter()
        .map(|user| Row {
            created: local_time(user.created_at),
            locked: user.locked_until > now,
            is_self: user.username == signed.username,
            user,
        })
        .collect();
    let layout = Layout::new(&signed, "users", "users.title");
    Ok(page::render(&UsersPage {
        t: layout.t,
        layout,
        rows,
        list,
        paging,
        roles: Role::ALL.iter().map(|r| r.as_str()).collect(),
    }))
}

/// `POST /console/admin/users` (`username`, `role`, `password`)
pub async fn create(
    State(state): State<AppState>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let signed = &form.signed;
    let username = form.fields.get("username").unwrap_or("");
    signed
        .require(&state, Permission::ManageUsers, username)
        .await?;
    let result = accounts::create_user(
        &state.store,
        username,
        form.fields.get("role").unwrap_or(""),
        form.fields.raw("password"),
        actor(&state, signed),
    )
    .await;
    Ok(answer(
        &state,
        signed,
        "console.user.create",
        username,
        result.map(|_| "flash.user_created"),
    )
    .await)
}

/// `POST /console/admin/users/{username}/disable`
pub async fn disable(
    State(state): State<AppState>,
    Path(username): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    set_active(state, username, form, false).await
}

/// `POST /console/admin/users/{username}/enable`
pub async fn enable(
    State(state): State<AppState>,
    Path(username): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    set_active(state, username, form, true).await
}

async fn set_active(
    state: AppState,
    username: String,
    form: ConsoleForm,
    active: bool,
) -> Result<Response, Response> {
    let signed = &form.signed;
    signed
        .require(&state, Permission::ManageUsers, &username)
        .await?;
    if username == signed.username {
        return Ok(page::redirect_with(USERS, Flash::Error("flash.not_self")));
    }
    let result = accounts::set_active(&state.store, &username, active, actor(&state, signed)).await;
    let (action, done) = if active {
        ("console.user.enable", "flash.user_enabled")
    } else {
        ("console.user.disable", "flash.user_disabled")
    };
    Ok(answer(&state, signed, action, &username, result.map(|()| done)).await)
}

/// `POST /console/admin/users/{username}/role` (`role`)
pub async fn change_role(
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
    let role = form.fields.get("role").unwrap_or("");
    let result = accounts::set_role(&state.store, &username, role, actor(&state, signed)).await;
    Ok(answer(
        &state,
        signed,
        "console.user.role",
        &username,
        result.map(|()| "flash.user_role_changed"),
    )
    .await)
}

fn actor<'a>(state: &AppState, signed: &'a SignedIn) -> Actor<'a> {
    Actor {
        name: &signed.username,
        from_address: &signed.from_address,
        now_ms: state.now_ms(),
    }
}

/// Back to the list with the outcome; a refusal is audited too (a success was, with its change).
async fn answer(
    state: &AppState,
    signed: &SignedIn,
    action: &str,
    target: &str,
    result: Result<&'static str, AccountError>,
) -> Response {
    match result {
        Ok(done) => page::redirect_with(USERS, Flash::Ok(done)),
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
