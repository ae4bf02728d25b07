//! Finance's day from the console, without the command line: fetch a channel account's
//! statement of a date, run that day's reconciliation, and make the date's settlement batches.
//! Each calls the flow `unipay statements fetch`, `unipay recon` and `unipay settle` call, and
//! each is audited (settlement's store function writes its own entry with the batch).

use super::ConsoleForm;
use super::page::{self, Flash};
use super::roles::Permission;
use crate::flows::books::recon::reconcile_day;
use crate::flows::books::statements::fetch_statement;
use crate::flows::books::{BooksError, is_date};
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use unipay_store::statements::SavedStatement;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/recon/fetch", post(fetch))
        .route("/console/recon/run", post(run))
        .route("/console/settlement/create", post(create_batches))
}

/// The form's channel account and date, when both read.
fn account_and_date(form: &ConsoleForm) -> Option<(String, String)> {
    let account = form.fields.get("channel_account")?.trim().to_string();
    let date = form.fields.get("date")?.trim().to_string();
    (!account.is_empty() && is_date(&date)).then_some((account, date))
}

fn recon_page(date: &str) -> String {
    format!("/console/recon?date={date}")
}

/// `POST /console/recon/fetch` (`channel_account`, `date`): the bank's statement of the date.
pub async fn fetch(State(state): State<AppState>, form: ConsoleForm) -> Result<Response, Response> {
    let Some((account, date)) = account_and_date(&form) else {
        return Ok(page::redirect_with(
            "/console/recon",
            Flash::Error("flash.bad_input"),
        ));
    };
    let signed = &form.signed;
    signed
        .require(&state, Permission::RunBooks, &account)
        .await?;
    let target = format!("{account} {date}");
    let (detail, outcome, flash) = match fetch_statement(&state, &account, &date).await {
        Ok(SavedStatement::New(s)) => (
            format!(
                "statement {} version {} ({} bytes)",
                s.id, s.version, s.size_bytes
            ),
            "ok",
            Flash::Ok("flash.statement_fetched"),
        ),
        Ok(SavedStatement::Same(s)) => (
            format!("statement {} unchanged", s.id),
            "ok",
            Flash::Ok("flash.statement_same"),
        ),
        Err(error) => {
            tracing::warn!(%error, account, date, "console statement fetch failed");
            (
                error.to_string(),
                "failed",
                Flash::Error("flash.statement_failed"),
            )
        }
    };
    signed
        .audit(&state, "statement.fetch", &target, &detail, outcome)
        .await;
    Ok(page::redirect_with(&recon_page(&date), flash))
}

/// `POST /console/recon/run` (`channel_account`, `date`): reconcile the kept statement.
pub async fn run(State(state): State<AppState>, form: ConsoleForm) -> Result<Response, Response> {
    let Some((account, date)) = account_and_date(&form) else {
        return Ok(page::redirect_with(
            "/console/recon",
            Flash::Error("flash.bad_input"),
        ));
    };
    let signed = &form.signed;
    signed
        .require(&state, Permission::RunBooks, &account)
        .await?;
    let target = format!("{account} {date}");
    let (detail, outcome, flash) = match reconcile_day(&state, &account, &date).await {
        Ok(report) => (
            format!(
                "{} differences, {} new items, {} recorded by query",
                report.differences(),
                report.new_items,
                report.recorded_by_query
            ),
            "ok",
            if report.differences() == 0 {
                Flash::Ok("flash.recon_clean")
            } else {
                Flash::Ok("flash.recon_differences")
            },
        ),
        Err(BooksError::NoStatement(..)) => (
            "no statement kept for the date".to_string(),
            "refused",
            Flash::Error("flash.recon_no_statement"),
        ),
        Err(error) => {
            tracing::warn!(%error, account, date, "console reconciliation failed");
            (error.to_string(), "failed", Flash::Error("flash.failed"))
        }
    };
    signed
        .audit(&state, "recon.run", &target, &detail, outcome)
        .await;
    Ok(page::redirect_with(&recon_page(&date), flash))
}

/// `POST /console/settlement/create` (`date`): the date's batches, one per merchant. A
/// merchant with open differences is refused while the configuration blocks them.
pub async fn create_batches(
    State(state): State<AppState>,
    form: ConsoleForm,
) -> Result<Response, Response> {
    let date = form.fields.get("date").unwrap_or("").trim().to_string();
    if !is_date(&date) {
        return Ok(page::redirect_with(
            "/console/settlement",
            Flash::Error("flash.bad_input"),
        ));
    }
    let signed = &form.signed;
    signed.require(&state, Permission::RunBooks, &date).await?;
    let allow_open = !state.config.books.block_settlement_on_open_differences;
    let run = state
        .store
        .settle_day(
            &date,
            &signed.username,
            &signed.from_address,
            allow_open,
            state.now_ms(),
        )
        .await;
    let back = format!("/console/settlement?date={date}");
    let flash = match run {
        Ok(run) if run.refused() => Flash::Error("flash.settle_blocked"),
        Ok(run) if !run.created.is_empty() => Flash::Ok("flash.batches_created"),
        Ok(run) if !run.existing.is_empty() => Flash::Ok("flash.batches_existing"),
        Ok(_) => Flash::Error("flash.nothing_to_settle"),
        Err(error) => return Ok(page::failure(&error)),
    };
    Ok(page::redirect_with(&back, flash))
}
