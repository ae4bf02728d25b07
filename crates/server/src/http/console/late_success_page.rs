//! `POST /console/payments/{id}/late-success` (`decision` = `accept` | `refund`, `note`): an
//! operator's decision on money the bank took after the payment was closed
//! (`flows::late_success`: the payment, the books, the notification, the refund and the audit
//! entry commit together). The payment's page shows the late success and these two buttons;
//! the dashboard and the payments list (`?set=late_success`) show the ones still undecided.

use super::ConsoleForm;
use super::i18n::Tr;
use super::page::{self, Flash, local_time};
use super::roles::Permission;
use crate::flows::late_success::{Decider, Decision, decide};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use unipay_core::money::display_yuan;
use unipay_store::payments::late_success::{LateOutcome, LateSuccess};

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/payments/{id}/late-success", post(decide_late))
}

/// A late success as the payment's page shows it.
pub struct LateView {
    pub open: bool,
    pub amount: String,
    pub serial: String,
    pub accounting_date: String,
    pub paid: String,
    pub found: String,
    /// The decision in words, who made it and when; blank while open.
    pub decided: String,
    pub note: String,
}

impl LateView {
    pub fn of(late: &LateSuccess, t: &Tr) -> LateView {
        let decided = match (&late.resolution, &late.resolved_by, late.resolved_at) {
            (Some(resolution), Some(by), Some(at)) => {
                format!("{} · {by} · {}", t.word("late", resolution), local_time(at))
            }
            _ => String::new(),
        };
        LateView {
            open: late.is_open(),
            amount: late.amount_fen.map(display_yuan).unwrap_or_default(),
            serial: late.channel_trade_no.clone().unwrap_or_default(),
            accounting_date: late.accounting_date.clone().unwrap_or_default(),
            paid: late.paid_at.map(local_time).unwrap_or_default(),
            found: local_time(late.created_at),
            decided,
            note: late.note.clone().unwrap_or_default(),
        }
    }
}

/// `POST /console/payments/{id}/late-success`
pub async fn decide_late(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    signed
        .require(&state, Permission::DecideLateSuccess, &id)
        .await?;
    let back = format!("/console/payments/{id}");
    let decision = match fields.get("decision") {
        Some("accept") => Decision::Accept,
        Some("refund") => Decision::Refund,
        _ => {
            return Ok(page::redirect_with(
                &back,
                Flash::Error("flash.decision_missing"),
            ));
        }
    };
    let note = fields.get("note").unwrap_or("").trim();
    if note.is_empty() {
        return Ok(page::redirect_with(
            &back,
            Flash::Error("flash.note_required"),
        ));
    }
    let payment = match state.store.get_payment(&id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let by = Decider {
        actor: &signed.username,
        from_address: &signed.from_address,
        note,
    };
    // A decision is audited by the store with the change; a refusal here.
    let (refusal, flash) = match decide(&state, &payment, decision, &by).await {
        Ok(LateOutcome::Decided { .. }) if decision == Decision::Accept => {
            (None, Flash::Ok("flash.late_accepted"))
        }
        Ok(LateOutcome::Decided { .. }) => (None, Flash::Ok("flash.late_refunded")),
        Ok(LateOutcome::NotOpen) => (
            Some("no undecided late success".to_string()),
            Flash::Error("flash.late_not_open"),
        ),
        Ok(LateOutcome::NothingTaken) => (
            Some("the bank only authorized: nothing taken".to_string()),
            Flash::Error("flash.late_nothing_taken"),
        ),
        Ok(LateOutcome::RefundRefused(reason)) => (
            Some(format!("refund refused: {reason}")),
            Flash::Error("flash.late_refund_refused"),
        ),
        Err(error) => {
            tracing::warn!(%error, payment_id = %id, "late success decision failed");
            signed
                .audit(
                    &state,
                    "payment.late_success",
                    &id,
                    &error.to_string(),
                    "failed",
                )
                .await;
            return Ok(page::redirect_with(&back, Flash::Error("flash.failed")));
        }
    };
    if let Some(reason) = refusal {
        signed
            .audit(&state, "payment.late_success", &id, &reason, "refused")
            .await;
    }
    Ok(page::redirect_with(&back, flash))
}
