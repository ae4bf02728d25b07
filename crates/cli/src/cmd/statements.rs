//! `unipay statements`: fetch a day's statement from the bank now, or list what is kept.

use super::DatabaseArgs;
use super::progress::Progress;
use super::table::render;
use clap::Subcommand;
use serde_json::json;
use unipay_core::money::format_yuan;
use unipay_server::flows::books::statements::fetch_statement;
use unipay_store::statements::{SavedStatement, StoredStatement};

#[derive(Debug, Subcommand)]
pub enum StatementsCommand {
    /// Fetch the statement of an accounting date (every channel account, or one).
    Fetch {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        date: String,
        #[arg(long)]
        channel_account: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List kept statements (every version).
    List {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: StatementsCommand) -> anyhow::Result<()> {
    match command {
        StatementsCommand::Fetch {
            db,
            date,
            channel_account,
            json,
        } => {
            super::require_date(&date)?;
            let state = db.app_state().await?;
            let accounts = super::channel_accounts(&state, channel_account.as_deref()).await?;
            let progress = Progress::steps(accounts.len(), json);
            let mut fetched = Vec::new();
            let mut failed = Vec::new();
            for account in accounts {
                progress.step(format!("fetching the statement of {date} for {account}"));
                // One bank's file not ready does not keep the others' from being fetched.
                match fetch_statement(&state, &account, &date).await {
                    Ok(saved) => fetched.push(saved),
                    Err(error) => failed.push(format!("{account}: {error}")),
                }
                progress.done_one();
            }
            drop(progress);
            if json {
                let list: Vec<_> = fetched
                    .iter()
                    .map(|saved| {
                        let mut value = statement_json(saved.statement());
                        value["new"] = json!(matches!(saved, SavedStatement::New(_)));
                        value
                    })
                    .collect();
                println!("{}", json!({ "statements": list }));
            } else {
                for saved in &fetched {
                    let what = match saved {
                        SavedStatement::New(_) => "new",
                        SavedStatement::Same(_) => "unchanged (same file kept before)",
                    };
                    println!("{what}:");
                }
                let rows: Vec<Vec<String>> = fetched.iter().map(|s| row(s.statement())).collect();
                print!("{}", render(HEADERS, &rows));
            }
            super::fail_if_any(&format!("fetching the statements of {date}"), &failed)
        }
        StatementsCommand::List { db, date, json } => {
            let store = db.store().await?;
            let statements = store.list_statements(date.as_deref()).await?;
            if json {
                let list: Vec<_> = statements.iter().map(statement_json).collect();
                println!("{}", json!({ "statements": list }));
            } else {
                let rows: Vec<Vec<String>> = statements.iter().map(row).collect();
                print!("{}", render(HEADERS, &rows));
            }
            Ok(())
        }
    }
}

const HEADERS: &[&str] = &[
    "id",
    "channel_account",
    "date",
    "version",
    "payments",
    "payments_yuan",
    "refunds",
    "refunds_yuan",
    "unreadable",
    "totals",
    "sha256",
];

fn row(s: &StoredStatement) -> Vec<String> {
    vec![
        s.id.clone(),
        s.channel_account_id.clone(),
        s.accounting_date.clone(),
        s.version.to_string(),
        s.read.payments.to_string(),
        format_yuan(s.read.payments_fen),
        s.read.refunds.to_string(),
        format_yuan(s.read.refunds_fen),
        s.unreadable_lines.to_string(),
        if s.totals_agree() {
            "agree".into()
        } else {
            "DIFFER".into()
        },
        s.sha256.chars().take(16).collect(),
    ]
}

fn statement_json(s: &StoredStatement) -> serde_json::Value {
    json!({
        "id": s.id, "channel_account_id": s.channel_account_id, "accounting_date": s.accounting_date,
        "version": s.version, "sha256": s.sha256, "gzip": s.gzip, "size_bytes": s.size_bytes,
        "columns": s.columns,
        "declared": {"payments": s.declared.payments, "payments_fen": s.declared.payments_fen,
                     "refunds": s.declared.refunds, "refunds_fen": s.declared.refunds_fen},
        "read": {"payments": s.read.payments, "payments_fen": s.read.payments_fen,
                 "refunds": s.read.refunds, "refunds_fen": s.read.refunds_fen},
        "totals_agree": s.totals_agree(), "unreadable_lines": s.unreadable_lines,
        "answer_sha256": s.answer_sha256, "fetched_at": s.fetched_at,
    })
}
