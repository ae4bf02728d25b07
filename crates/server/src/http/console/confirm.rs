//! Confirmation pages for the actions that cannot be taken back: closing a payment, rotating
//! an app's secret, disabling an app or a user, approving, recording paid or cancelling a
//! settlement batch. The button on the record's page is a plain GET form to the action's own
//! path; GET answers this page, which says what will happen and posts (with the CSRF token
//! and the note typed on the record's page) to the same path, where the action always was.
//! No script is needed, and a mis-click costs one more page instead of a closed payment.

use super::i18n::Tr;
use super::page::{self, Flash, Layout};
use super::roles::Permission;
use super::session::SignedIn;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use unipay_core::money::display_yuan;
use unipay_store::settlement::BatchStatus;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/payments/{id}/close", get(close_payment))
        .route("/console/admin/apps/{id}/rotate-secret", get(rotate_secret))
        .route("/console/admin/apps/{id}/disable", get(disable_app))
        .route("/console/admin/users/{username}/disable", get(disable_user))
        .route("/console/settlement/{id}/approve", get(approve_batch))
        .route("/console/settlement/{id}/mark-paid", get(mark_paid))
        .route("/console/settlement/{id}/cancel", get(cancel_batch))
}

#[derive(Template)]
#[template(path = "console/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    t: Tr,
    /// What will happen, in the reader's language, with the record's facts filled in.
    text: String,
    /// Where the form posts: the action's own path.
    action: String,
    /// Catalogue key of the button's label.
    button: &'static str,
    /// Destructive (red) or a step forward (the accent colour).
    danger: bool,
    /// The note typed on the record's page, carried on (blank: none).
    note: String,
    /// The record's page, for "go back".
    back: String,
}

/// The query a record's GET form sends: only a note, for the settlement steps.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoteParam {
    pub note: String,
}

struct Ask {
    section: &'static str,
    text: String,
    action: String,
    button: &'static str,
    danger: bool,
    note: String,
    back: String,
}

fn ask(signed: &SignedIn, ask: Ask) -> Response {
    let layout = Layout::new(signed, ask.section, "confirm.title");
    page::render(&ConfirmPage {
        t: layout.t,
        layout,
        text: ask.text,
        action: ask.action,
        button: ask.button,
        danger: ask.danger,
        note: ask.note.chars().take(500).collect(),
        back: ask.back,
    })
}

/// `GET /console/payments/{id}/close`
pub async fn close_payment(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::ClosePayment, &id)
        .await?;
    let payment = match state.store.get_payment(&id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let back = format!("/console/payments/{id}");
    if !payment.status.is_open() {
        return Ok(page::redirect_with(
            &back,
            Flash::Error("flash.not_closable"),
        ));
    }
    let text = signed.t.fill(
        "confirm.close_payment",
        &[
            ("id", &payment.id),
            ("order", &payment.out_trade_no),
            ("amount", &payment.amount.to_display_yuan()),
        ],
    );
    Ok(ask(
        &signed,
        Ask {
            section: "payments",
            text,
            action: format!("{back}/close"),
            button: "payment.close",
            danger: true,
            note: String::new(),
            back,
        },
    ))
}

/// `GET /console/admin/apps/{id}/rotate-secret`
pub async fn rotate_secret(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    app_step(state, signed, id, true).await
}

/// `GET /console/admin/apps/{id}/disable`
pub async fn disable_app(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, Response> {
    app_step(state, signed, id, false).await
}

async fn app_step(
    state: AppState,
    signed: SignedIn,
    id: String,
    rotate: bool,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::ManageMerchants, &id)
        .await?;
    let app = match state.store.get_app(&id).await {
        Ok(Some(app)) => app,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let values = [("id", app.id.as_str()), ("name", app.name.as_str())];
    let (text, action, button) = if rotate {
        (
            signed.t.fill("confirm.rotate_secret", &values),
            format!("/console/admin/apps/{id}/rotate-secret"),
            "apps.rotate",
        )
    } else {
        (
            signed.t.fill("confirm.disable_app", &values),
            format!("/console/admin/apps/{id}/disable"),
            "apps.disable",
        )
    };
    Ok(ask(
        &signed,
        Ask {
            section: "apps",
            text,
            action,
            button,
            danger: true,
            note: String::new(),
            back: "/console/admin/apps".into(),
        },
    ))
}

/// `GET /console/admin/users/{username}/disable`
pub async fn disable_user(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(username): Path<String>,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::ManageUsers, &username)
        .await?;
    let users = "/console/admin/users";
    if username == signed.username {
        return Ok(page::redirect_with(users, Flash::Error("flash.not_self")));
    }
    match state.store.get_console_user(&username).await {
        Ok(Some(_)) => {}
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    }
    let text = signed
        .t
        .fill("confirm.disable_user", &[("name", username.as_str())]);
    Ok(ask(
        &signed,
        Ask {
            section: "users",
            text,
            action: format!("{users}/{username}/disable"),
            button: "users.disable",
            danger: true,
            note: String::new(),
            back: users.into(),
        },
    ))
}

#[derive(Clone, Copy)]
enum BatchStep {
    Approve,
    MarkPaid,
    Cancel,
}

/// `GET /console/settlement/{id}/approve?note=`
pub async fn approve_batch(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(param): Query<NoteParam>,
) -> Result<Response, Response> {
    batch_step(state, signed, id, param.note, BatchStep::Approve).await
}

/// `GET /console/settlement/{id}/mark-paid?note=`
pub async fn mark_paid(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(param): Query<NoteParam>,
) -> Result<Response, Response> {
    batch_step(state, signed, id, param.note, BatchStep::MarkPaid).await
}

/// `GET /console/settlement/{id}/cancel?note=` (the note is required, as on the POST)
pub async fn cancel_batch(
    State(state): State<AppState>,
    signed: SignedIn,
    Path(id): Path<String>,
    Query(param): Query<NoteParam>,
) -> Result<Response, Response> {
    batch_step(state, signed, id, param.note, BatchStep::Cancel).await
}

async fn batch_step(
    state: AppState,
    signed: SignedIn,
    id: String,
    note: String,
    step: BatchStep,
) -> Result<Response, Response> {
    signed
        .require(&state, Permission::ReviewSettlement, &id)
        .await?;
    let batch = match state.store.get_batch(&id).await {
        Ok(Some(batch)) => batch,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let back = format!("/console/settlement/{id}");
    let note = note.trim().to_string();
    let allowed = match step {
        BatchStep::Approve => batch.status == BatchStatus::PendingReview,
        BatchStep::MarkPaid => batch.status == BatchStatus::Approved,
        BatchStep::Cancel => matches!(
            batch.status,
            BatchStatus::PendingReview | BatchStatus::Approved
        ),
    };
    if !allowed {
        return Ok(page::redirect_with(
            &back,
            Flash::Error("flash.batch_refused"),
        ));
    }
    if matches!(step, BatchStep::Cancel) && note.is_empty() {
        return Ok(page::redirect_with(
            &back,
            Flash::Error("flash.note_required"),
        ));
    }
    let net = display_yuan(batch.net_fen);
    let values = [
        ("id", batch.id.as_str()),
        ("merchant", batch.merchant_id.as_str()),
        ("date", batch.accounting_date.as_str()),
        ("net", net.as_str()),
    ];
    let (text, path, button, danger) = match step {
        BatchStep::Approve => (
            signed.t.fill("confirm.approve_batch", &values),
            "approve",
            "settlement.approve",
            false,
        ),
        BatchStep::MarkPaid => (
            signed.t.fill("confirm.mark_paid", &values),
            "mark-paid",
            "settlement.mark_paid",
            false,
        ),
        BatchStep::Cancel => (
            signed.t.fill("confirm.cancel_batch", &values),
            "cancel",
            "settlement.cancel",
            true,
        ),
    };
    Ok(ask(
        &signed,
        Ask {
            section: "settlement",
            text,
            action: format!("{back}/{path}"),
            button,
            danger,
            note,
            back,
        },
    ))
}
