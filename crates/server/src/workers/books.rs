//! The scheduled part of the books: once the configured hour has passed, yesterday's statement
//! of every channel account is fetched and reconciled. Each step is skipped when it has been
//! done, so any number of nodes may run this and a failed step is simply tried again on the
//! next round.

use crate::flows::books::BooksError;
use crate::flows::books::recon::reconcile_day;
use crate::flows::books::statements::fetch_statement;
use crate::state::AppState;
use crate::workers::pause::pause;
use tokio::sync::watch;
use unipay_core::calendar::{self, AccountingDate};
use unipay_core::channel::ChannelError;

pub async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let interval = state.config.books.poll_interval_ms.max(1_000);
    loop {
        if let Some(date) = due_date(&state) {
            catch_up(&state, &date).await;
        }
        if pause(&mut shutdown, interval).await {
            return;
        }
    }
}

/// Yesterday (UTC+8), once today's fetch hour has come.
fn due_date(state: &AppState) -> Option<String> {
    let now_ms = state.now_ms();
    let now = calendar::beijing(now_ms)?;
    let hour = u8::try_from(chrono::Timelike::hour(&now)).ok()?;
    if hour < state.config.books.fetch_after_hour {
        return None;
    }
    Some(
        AccountingDate::of_instant(now_ms)?
            .add_days(-1)?
            .to_string(),
    )
}

async fn catch_up(state: &AppState, date: &str) {
    let accounts = match state.store.list_channel_accounts().await {
        Ok(accounts) => accounts,
        Err(error) => {
            tracing::warn!(%error, "books: cannot list channel accounts");
            return;
        }
    };
    for account in accounts {
        match catch_up_account(state, &account.id, date).await {
            Ok(()) => {}
            // Expected every morning until the bank has made the file, and all day for a
            // UnionPay account on a day without transactions (it makes none): not a failure.
            Err(BooksError::Channel(ChannelError::NotReady(reason))) => {
                tracing::debug!(channel_account_id = %account.id, date, %reason, "books: statement not ready; asked again later");
            }
            Err(error) => {
                tracing::warn!(channel_account_id = %account.id, date, %error, "books: step failed; tried again later");
            }
        }
    }
}

async fn catch_up_account(
    state: &AppState,
    channel_account_id: &str,
    date: &str,
) -> Result<(), BooksError> {
    if state
        .store
        .latest_statement(channel_account_id, date)
        .await?
        .is_none()
    {
        fetch_statement(state, channel_account_id, date).await?;
    }
    if state
        .store
        .recon_day(channel_account_id, date)
        .await?
        .is_none()
    {
        let report = reconcile_day(state, channel_account_id, date).await?;
        tracing::info!(
            channel_account_id,
            date,
            matched = report.day.matched,
            differences = report.differences(),
            "books: day reconciled"
        );
    }
    Ok(())
}
