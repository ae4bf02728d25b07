//! `unipay settle`: clearing and settlement for operators. `settle --date D` makes the date's
//! batches; `approve`, `mark-paid` and `cancel` move one (audited, with its ledger entry);
//! `list` shows them and `file` hands out a batch's settlement CSV. With `--json` each prints
//! one JSON document; otherwise aligned tables. Anything refused exits non-zero.

use super::DatabaseArgs;
use super::progress::Progress;
use super::table::render;
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;
use unipay_core::money::format_yuan;
use unipay_store::Store;
use unipay_store::browse::settlement::SettlementFile;
use unipay_store::settlement::{BatchChange, BatchStatus, SettleRun, SettlementBatch};

/// Where an operator's actions come from, for the audit log.
const FROM_ADDRESS: &str = "cli";

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SettleArgs {
    #[command(subcommand)]
    command: Option<SettleCommand>,
    #[command(flatten)]
    db: DatabaseArgs,
    /// The accounting date to settle, YYYY-MM-DD.
    #[arg(long, required = true)]
    date: Option<String>,
    /// Settle even merchants whose channel accounts have open reconciliation differences.
    #[arg(long)]
    allow_open_differences: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum SettleCommand {
    /// Approve a batch under review: its net is set aside for payout.
    Approve(MoveArgs),
    /// Record an approved batch as paid out.
    MarkPaid(MoveArgs),
    /// Cancel a batch not yet paid (an approved one has its approval reversed).
    Cancel {
        #[command(flatten)]
        db: DatabaseArgs,
        batch: String,
        /// Why it is cancelled (kept in the audit log).
        #[arg(long)]
        note: String,
        #[arg(long)]
        json: bool,
    },
    /// List batches.
    List {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        date: Option<String>,
        #[arg(long)]
        merchant: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a batch's settlement file, or write it with --out.
    File {
        #[command(flatten)]
        db: DatabaseArgs,
        batch: String,
        #[arg(long)]
        out: Option<PathBuf>,
        /// For Excel: Chinese column names and a UTF-8 byte order mark (which Excel needs to
        /// read the file as UTF-8). The figures are the stored file's; its SHA-256 is not
        /// this file's.
        #[arg(long)]
        excel: bool,
    },
}

#[derive(Debug, Args)]
struct MoveArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    batch: String,
    /// Kept in the audit log.
    #[arg(long)]
    note: Option<String>,
    #[arg(long)]
    json: bool,
}

pub async fn run(args: SettleArgs) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    let actor = super::cli_actor();
    match args.command {
        None => {
            let Some(date) = args.date else {
                bail!("give --date YYYY-MM-DD, or a subcommand");
            };
            super::require_date(&date)?;
            let blocking = unipay_server::ServerConfig::load(args.db.config.as_deref())?
                .books
                .block_settlement_on_open_differences;
            let progress = Progress::spinner(&format!("settling {date}"), args.json);
            let store = args.db.store().await?;
            let run = store
                .settle_day(
                    &date,
                    &actor,
                    FROM_ADDRESS,
                    args.allow_open_differences || !blocking,
                    now,
                )
                .await?;
            drop(progress);
            print_run(&run, args.json);
            if run.refused() {
                let merchants: Vec<String> = run
                    .blocked
                    .iter()
                    .map(|b| format!("{} ({} open)", b.merchant_id, b.open_items))
                    .collect();
                bail!(
                    "settlement of {date} refused for {}: resolve the reconciliation differences \
                     or pass --allow-open-differences",
                    merchants.join(", ")
                );
            }
        }
        Some(SettleCommand::Approve(m)) => {
            let store = m.db.store().await?;
            let change = store
                .approve_batch(&m.batch, &actor, FROM_ADDRESS, m.note.as_deref(), now)
                .await?;
            report(change, &m.batch, "approve", m.json)?;
        }
        Some(SettleCommand::MarkPaid(m)) => {
            let separate = unipay_server::ServerConfig::load(m.db.config.as_deref())?
                .console
                .separate_settlement_duties;
            let store = m.db.store().await?;
            let note = m.note.as_deref();
            let change = store
                .mark_batch_paid(&m.batch, &actor, FROM_ADDRESS, note, now, separate)
                .await?;
            if let BatchChange::Refused(batch) = &change
                && batch.status == BatchStatus::Approved
                && batch.approved_by.as_deref() == Some(actor.as_str())
            {
                bail!(
                    "cannot mark batch {} paid: {actor} approved it, and who approves a payout \
                     does not also record it paid",
                    batch.id
                );
            }
            report(change, &m.batch, "mark paid", m.json)?;
        }
        Some(SettleCommand::Cancel {
            db,
            batch,
            note,
            json,
        }) => {
            if note.trim().is_empty() {
                bail!("say why with --note");
            }
            let store = db.store().await?;
            let change = store
                .cancel_batch(&batch, &actor, FROM_ADDRESS, Some(&note), now)
                .await?;
            report(change, &batch, "cancel", json)?;
        }
        Some(SettleCommand::List {
            db,
            date,
            merchant,
            json,
        }) => {
            if let Some(date) = &date {
                super::require_date(date)?;
            }
            let store = db.store().await?;
            let batches = store
                .list_batches(date.as_deref(), merchant.as_deref())
                .await?;
            if json {
                let rows: Vec<Value> = batches.iter().map(batch_json).collect();
                println!("{}", json!({ "batches": rows }));
            } else if batches.is_empty() {
                println!("no settlement batches");
            } else {
                print!("{}", batch_table(&batches));
            }
        }
        Some(SettleCommand::File {
            db,
            batch,
            out,
            excel,
        }) => {
            let store = db.store().await?;
            write_file(&store, &batch, out, excel).await?;
        }
    }
    Ok(())
}

/// `cli:` and the operating-system user, so the audit log says who ran the command.
fn print_run(run: &SettleRun, json: bool) {
    if json {
        let blocked: Vec<Value> = run
            .blocked
            .iter()
            .map(|b| json!({"merchant_id": b.merchant_id, "open_items": b.open_items}))
            .collect();
        println!(
            "{}",
            json!({
                "accounting_date": run.accounting_date,
                "created": run.created.iter().map(batch_json).collect::<Vec<_>>(),
                "existing": run.existing.iter().map(batch_json).collect::<Vec<_>>(),
                "blocked": blocked,
                "blocking_items": run.blocking_items(),
            })
        );
        return;
    }
    if run.created.is_empty() && run.existing.is_empty() && run.blocked.is_empty() {
        println!(
            "no successful payments on {}: nothing to settle",
            run.accounting_date
        );
        return;
    }
    if !run.created.is_empty() {
        println!("created:");
        print!("{}", batch_table(&run.created));
    }
    if !run.existing.is_empty() {
        println!("already settled (nothing new):");
        print!("{}", batch_table(&run.existing));
    }
    if !run.blocked.is_empty() {
        println!("refused (open reconciliation differences):");
        let rows: Vec<Vec<String>> = run
            .blocked
            .iter()
            .map(|b| vec![b.merchant_id.clone(), b.open_items.to_string()])
            .collect();
        print!("{}", render(&["merchant", "open_items"], &rows));
    }
}

fn report(change: BatchChange, batch_id: &str, verb: &str, json: bool) -> anyhow::Result<()> {
    match change {
        BatchChange::Changed { batch, entry_id } => {
            if json {
                println!(
                    "{}",
                    json!({"batch": batch_json(&batch), "entry_id": entry_id})
                );
            } else {
                let entry = entry_id
                    .map(|id| format!(", ledger entry {id}"))
                    .unwrap_or_default();
                println!(
                    "batch {} is now {} (net {}){entry}",
                    batch.id,
                    batch.status.as_str(),
                    format_yuan(batch.net_fen)
                );
            }
            Ok(())
        }
        BatchChange::Refused(batch) => bail!(
            "cannot {verb} batch {}: it is {}",
            batch.id,
            batch.status.as_str()
        ),
        BatchChange::NotFound => bail!("no settlement batch {batch_id}"),
    }
}

/// The settlement file's columns as the finance staff read them, in the stored file's order.
const CHINESE_HEADER: &str =
    "商户号,会计日期,渠道账户,支付笔数,支付金额(元),退款笔数,退款金额(元),手续费(元),结算净额(元)";

/// The stored file for Excel: the Chinese header in place of the first line, after a BOM.
fn for_excel(csv: &str) -> String {
    let rows = csv.split_once('\n').map_or("", |(_, rows)| rows);
    format!("\u{feff}{CHINESE_HEADER}\n{rows}")
}

async fn write_file(
    store: &Store,
    batch_id: &str,
    out: Option<PathBuf>,
    excel: bool,
) -> anyhow::Result<()> {
    let (csv, sha256) = match store.settlement_file(batch_id).await? {
        SettlementFile::File { csv, sha256 } => (csv, sha256),
        SettlementFile::NotFound => bail!("no settlement batch {batch_id}"),
        SettlementFile::Tampered => {
            bail!("the stored file of batch {batch_id} does not match its SHA-256")
        }
    };
    let csv = if excel { for_excel(&csv) } else { csv };
    match out {
        Some(path) => {
            std::fs::write(&path, csv.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            if excel {
                println!(
                    "wrote {} for Excel (the stored file's sha256 {sha256})",
                    path.display()
                );
            } else {
                println!("wrote {} (sha256 {sha256})", path.display());
            }
        }
        None => print!("{csv}"),
    }
    Ok(())
}

fn batch_json(b: &SettlementBatch) -> Value {
    json!({
        "id": b.id,
        "merchant_id": b.merchant_id,
        "accounting_date": b.accounting_date,
        "generation": b.generation,
        "status": b.status.as_str(),
        "payments": b.payments,
        "payments_fen": b.payments_fen,
        "payments_yuan": format_yuan(b.payments_fen),
        "refunds": b.refunds,
        "refunds_fen": b.refunds_fen,
        "refunds_yuan": format_yuan(b.refunds_fen),
        "fees_fen": b.fees_fen,
        "fees_yuan": format_yuan(b.fees_fen),
        "net_fen": b.net_fen,
        "net_yuan": format_yuan(b.net_fen),
        "file_sha256": b.file_sha256,
        "created_at": unipay_core::clock::rfc3339(b.created_at),
        "approved_by": b.approved_by,
        "approved_at": b.approved_at.map(unipay_core::clock::rfc3339),
        "paid_by": b.paid_by,
        "paid_at": b.paid_at.map(unipay_core::clock::rfc3339),
        "cancelled_by": b.cancelled_by,
        "cancelled_at": b.cancelled_at.map(unipay_core::clock::rfc3339),
    })
}

fn batch_table(batches: &[SettlementBatch]) -> String {
    let rows: Vec<Vec<String>> = batches
        .iter()
        .map(|b| {
            vec![
                b.id.clone(),
                b.merchant_id.clone(),
                b.accounting_date.clone(),
                b.generation.to_string(),
                b.status.as_str().to_string(),
                b.payments.to_string(),
                format_yuan(b.payments_fen),
                b.refunds.to_string(),
                format_yuan(b.refunds_fen),
                format_yuan(b.fees_fen),
                format_yuan(b.net_fen),
            ]
        })
        .collect();
    render(
        &[
            "batch",
            "merchant",
            "date",
            "gen",
            "status",
            "payments",
            "payments_yuan",
            "refunds",
            "refunds_yuan",
            "fees_yuan",
            "net_yuan",
        ],
        &rows,
    )
}
