//! Fetching a statement: ask the bank, read the file once to record what it holds (totals,
//! columns, unreadable lines), and keep it untouched.

use super::BooksError;
use crate::state::AppState;
use std::sync::Arc;
use unipay_core::channel::Channel;
use unipay_core::statement::{StatementLine, StatementSink, UnreadableLine};
use unipay_store::statements::{MAX_KEPT_UNREADABLE, NewStatement, SavedStatement};

/// Keeps the unreadable lines (up to the store's limit) and nothing else.
#[derive(Default)]
struct UnreadableLines(Vec<UnreadableLine>);

impl StatementSink for UnreadableLines {
    fn line(&mut self, _line: &StatementLine<'_>) {}

    fn unreadable(&mut self, line: UnreadableLine) {
        if self.0.len() < MAX_KEPT_UNREADABLE {
            self.0.push(line);
        }
    }
}

/// The channel of an account, through the flows' one lookup.
pub async fn channel_of(
    state: &AppState,
    channel_account_id: &str,
) -> Result<Arc<dyn Channel>, BooksError> {
    Ok(crate::flows::channel(state, channel_account_id).await?)
}

/// Fetches the statement of one channel account's accounting date and keeps it; the same
/// file again is recognised by its hash, a changed one becomes a new version.
pub async fn fetch_statement(
    state: &AppState,
    channel_account_id: &str,
    accounting_date: &str,
) -> Result<SavedStatement, BooksError> {
    let channel = channel_of(state, channel_account_id).await?;
    let file = channel.fetch_statement(accounting_date).await?;
    let (file, summary, unreadable) = tokio::task::spawn_blocking(move || {
        let mut lines = UnreadableLines::default();
        let summary = channel.parse_statement(&mut file.bytes.as_slice(), file.gzip, &mut lines);
        (file, summary, lines.0)
    })
    .await
    .map_err(|e| BooksError::Refused(format!("statement parse stopped: {e}")))?;
    let summary = summary?;
    let saved = state
        .store
        .save_statement(&NewStatement {
            channel_account_id,
            accounting_date,
            file: &file,
            summary: &summary,
            unreadable: &unreadable,
            now_ms: state.now_ms(),
        })
        .await?;
    let stored = saved.statement();
    if stored.unreadable_lines > 0 || !stored.totals_agree() {
        tracing::warn!(
            statement_id = %stored.id,
            unreadable = stored.unreadable_lines,
            totals_agree = stored.totals_agree(),
            "statement has lines that could not be read or totals that do not add up"
        );
    }
    Ok(saved)
}
