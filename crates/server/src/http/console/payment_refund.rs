//! `POST /console/payments/{id}/refund` (`amount` in yuan, `reason`): an operator refunds a
//! payment from its page (a customer at the counter, a business system that cannot). The flow
//! is the API's (`flows::console_refund`), with its refusals; the outcome is audited as
//! `payment.refund` and the page says what became of it.

use super::ConsoleForm;
use super::page::{self, Flash};
use super::roles::Permission;
use super::views::read_yuan;
use crate::flows::console_refund::{self, ConsoleRefund};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use unipay_core::money::display_yuan;
use unipay_core::refund::RefundStatus;

/// As the API's `reason`.
const MAX_REASON_CHARS: usize = 128;

pub fn routes() -> Router<AppState> {
    Router::new().route("/console/payments/{id}/refund", post(refund))
}

pub async fn refund(
    State(state): State<AppState>,
    Path(id): Path<String>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let ConsoleForm { signed, fields } = form;
    signed
        .require(&state, Permission::RefundPayment, &id)
        .await?;
    let back = format!("/console/payments/{id}");
    let amount = read_yuan(fields.get("amount").unwrap_or(""))
        .ok()
        .flatten()
        .filter(|fen| *fen > 0);
    let reason = fields.get("reason").unwrap_or("").trim();
    let (Some(amount_fen), true) = (amount, reason.chars().count() <= MAX_REASON_CHARS) else {
        signed
            .audit(
                &state,
                "payment.refund",
                &id,
                "unreadable amount or reason",
                "refused",
            )
            .await;
        return Ok(page::redirect_with(&back, Flash::Error("flash.bad_input")));
    };
    let payment = match state.store.get_payment(&id).await {
        Ok(Some(payment)) => payment,
        Ok(None) => return Ok(page::not_found(&signed)),
        Err(error) => return Ok(page::failure(&error)),
    };
    let yuan = display_yuan(amount_fen);
    let (detail, outcome, flash) =
        match console_refund::start(&state, &payment, amount_fen, reason).await {
            Ok(ConsoleRefund::Sent(refund)) => {
                let flash = match refund.status {
                    RefundStatus::Succeeded => Flash::Ok("flash.refund_succeeded"),
                    RefundStatus::Failed => Flash::Error("flash.refund_failed"),
                    _ => Flash::Ok("flash.refund_pending"),
                };
                (
                    format!(
                        "refund {} of {yuan} yuan: {}",
                        refund.id,
                        refund.status.as_str()
                    ),
                    "ok",
                    flash,
                )
            }
            Ok(ConsoleRefund::Refused(refusal)) => (
                format!("{yuan} yuan refused: {refusal}"),
                "refused",
                Flash::Error("flash.refund_refused"),
            ),
            Err(error) => {
                tracing::warn!(%error, payment_id = %id, "console refund failed");
                (error.to_string(), "failed", Flash::Error("flash.failed"))
            }
        };
    signed
        .audit(&state, "payment.refund", &id, &detail, outcome)
        .await;
    Ok(page::redirect_with(&back, flash))
}
