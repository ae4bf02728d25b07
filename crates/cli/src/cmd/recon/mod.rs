//! `unipay recon`: reconcile a date (every channel account, or one), list and decide the
//! differences, print the report.

mod report;

use super::DatabaseArgs;
use super::progress::Progress;
use clap::{Args, Subcommand, ValueEnum};
use report::{Format, render};
use unipay_server::flows::books::recon::{reconcile_day, resolve_item};
use unipay_store::recon::{Decision, ItemFilter, ResolveOutcome};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReconArgs {
    #[command(subcommand)]
    command: Option<ReconCommand>,
    #[command(flatten)]
    run: RunArgs,
}

/// `unipay recon --date D`: reconcile the date now (re-runnable) and print its report.
#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    /// The accounting date, YYYY-MM-DD.
    #[arg(long)]
    date: Option<String>,
    #[arg(long)]
    channel_account: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Subcommand)]
enum ReconCommand {
    /// List differences (items).
    Items {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        date: Option<String>,
        /// Only items still waiting for a decision (open or held).
        #[arg(long)]
        open: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Decide a difference: the bank's figures win (a ledger adjustment) or ours do.
    Resolve {
        #[command(flatten)]
        db: DatabaseArgs,
        item: String,
        #[arg(long, group = "decision", required = true)]
        bank_wins: bool,
        #[arg(long, group = "decision", required = true)]
        platform_wins: bool,
        /// Why: kept in the item and the audit log.
        #[arg(long)]
        note: String,
    },
    /// Print the stored report of a date without reconciling again.
    Report {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        date: String,
        #[arg(long)]
        channel_account: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub async fn run(args: ReconArgs) -> anyhow::Result<()> {
    match args.command {
        None => reconcile(args.run).await,
        Some(ReconCommand::Items {
            db,
            date,
            open,
            format,
        }) => {
            let store = db.store().await?;
            let items = store
                .list_recon_items(&ItemFilter {
                    accounting_date: date.as_deref(),
                    channel_account_id: None,
                    pending_only: open,
                })
                .await?;
            print!("{}", render(format, &[], &items));
            Ok(())
        }
        Some(ReconCommand::Resolve {
            db,
            item,
            bank_wins,
            platform_wins: _,
            note,
        }) => {
            let state = db.app_state().await?;
            let decision = if bank_wins {
                Decision::BankWins
            } else {
                Decision::PlatformWins
            };
            let actor = super::cli_actor();
            match resolve_item(&state, &item, decision, &note, &actor, "cli").await? {
                ResolveOutcome::Resolved(item) => {
                    println!(
                        "{}: {} ({} {}) resolved, {}",
                        item.id,
                        item.class,
                        item.kind,
                        item.order_no,
                        decision.as_str()
                    );
                    Ok(())
                }
                ResolveOutcome::NotPending(item) => anyhow::bail!(
                    "{} is already {} ({})",
                    item.id,
                    item.status.as_str(),
                    item.resolution.unwrap_or_default()
                ),
                ResolveOutcome::NotFound => anyhow::bail!("no item {item}"),
            }
        }
        Some(ReconCommand::Report {
            db,
            date,
            channel_account,
            format,
        }) => {
            super::require_date(&date)?;
            let store = db.store().await?;
            let days: Vec<_> = store
                .list_recon_days(Some(&date))
                .await?
                .into_iter()
                .filter(|d| {
                    channel_account
                        .as_ref()
                        .is_none_or(|c| *c == d.channel_account_id)
                })
                .collect();
            if days.is_empty() {
                anyhow::bail!("{date} has not been reconciled");
            }
            let items = store
                .list_recon_items(&ItemFilter {
                    accounting_date: Some(&date),
                    channel_account_id: channel_account.as_deref(),
                    pending_only: false,
                })
                .await?;
            print!("{}", render(format, &days, &items));
            Ok(())
        }
    }
}

async fn reconcile(args: RunArgs) -> anyhow::Result<()> {
    let Some(date) = args.date else {
        anyhow::bail!("give --date YYYY-MM-DD (or a subcommand: items, resolve, report)");
    };
    super::require_date(&date)?;
    let state = args.db.app_state().await?;
    let accounts = super::channel_accounts(&state, args.channel_account.as_deref()).await?;
    let progress = Progress::steps(accounts.len(), args.format != Format::Table);
    let mut days = Vec::new();
    let mut items = Vec::new();
    let mut failed = Vec::new();
    for account in accounts {
        progress.step(format!("reconciling {date} for {account}"));
        // One bank's day not ready does not keep the others' from being reconciled.
        let report = match reconcile_day(&state, &account, &date).await {
            Ok(report) => report,
            Err(error) => {
                failed.push(format!("{account}: {error}"));
                progress.done_one();
                continue;
            }
        };
        progress.done_one();
        tracing::info!(
            channel_account_id = %account,
            seconds = report.seconds_matching,
            recorded_by_query = report.recorded_by_query,
            "reconciled"
        );
        days.push(report.day);
        items.extend(report.items);
    }
    drop(progress);
    print!("{}", render(args.format, &days, &items));
    super::fail_if_any(&format!("reconciling {date}"), &failed)
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Table, Format::Json, Format::Csv]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
        }))
    }
}
