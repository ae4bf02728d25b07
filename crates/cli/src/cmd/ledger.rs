//! `unipay ledger`: balances and the trial balance, for finance and for checks in scripts
//! (both exit non-zero when the books do not hold).

use super::DatabaseArgs;
use super::table::render;
use clap::Subcommand;
use serde_json::json;
use unipay_core::ledger::Account;
use unipay_core::money::format_yuan;

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Balances by account (debit-positive), with the total that must be zero.
    Balance {
        #[command(flatten)]
        db: DatabaseArgs,
        /// Only accounts whose id starts with this (`merchant_payable:`, `bank_clearing:cha_1`).
        #[arg(long)]
        account: Option<String>,
        /// Only postings of accounting dates up to this one (YYYY-MM-DD).
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The trial balance and every successful payment against its postings.
    Check {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(command: LedgerCommand) -> anyhow::Result<()> {
    match command {
        LedgerCommand::Balance {
            db,
            account,
            as_of,
            json,
        } => balance(db, account, as_of, json).await,
        LedgerCommand::Check { db, json } => check(db, json).await,
    }
}

async fn balance(
    db: DatabaseArgs,
    account: Option<String>,
    as_of: Option<String>,
    json: bool,
) -> anyhow::Result<()> {
    if let Some(date) = &as_of
        && !unipay_server::flows::books::is_date(date)
    {
        anyhow::bail!("--as-of must be YYYY-MM-DD, not {date:?}");
    }
    let store = db.store().await?;
    let balances = store
        .ledger_balances(account.as_deref(), as_of.as_deref())
        .await?;
    let total: i64 = balances.iter().map(|b| b.balance).sum();
    if json {
        let accounts: Vec<_> = balances
            .iter()
            .map(|b| {
                json!({"account": b.account, "balance_fen": b.balance, "debits_fen": b.debits,
                       "credits_fen": b.credits, "postings": b.postings})
            })
            .collect();
        println!("{}", json!({"accounts": accounts, "total_fen": total}));
    } else {
        let rows: Vec<Vec<String>> = balances
            .iter()
            .map(|b| {
                let normal = Account::parse(&b.account)
                    .map_or("", |a| if a.kind.debit_normal() { "Dr" } else { "Cr" });
                vec![
                    b.account.clone(),
                    normal.to_string(),
                    format_yuan(b.debits),
                    format_yuan(b.credits),
                    format_yuan(b.balance),
                    b.postings.to_string(),
                ]
            })
            .collect();
        print!(
            "{}",
            render(
                &[
                    "account", "normal", "debits", "credits", "balance", "postings"
                ],
                &rows
            )
        );
        println!(
            "total (must be 0.00 over all accounts): {}",
            format_yuan(total)
        );
    }
    if account.is_none() && total != 0 {
        anyhow::bail!("the books do not balance: total {}", format_yuan(total));
    }
    Ok(())
}

async fn check(db: DatabaseArgs, json: bool) -> anyhow::Result<()> {
    let store = db.store().await?;
    let check = store.check_ledger().await?;
    if json {
        println!(
            "{}",
            json!({
                "holds": check.holds(), "entries": check.entries, "postings": check.postings,
                "total_debits_fen": check.total_debits, "total_credits_fen": check.total_credits,
                "unbalanced_entries": check.unbalanced_entries.iter().map(|(id, sum)| json!({"entry": id, "sum_fen": sum})).collect::<Vec<_>>(),
                "payment_problems": check.payment_problems.iter().map(|(id, what)| json!({"payment": id, "problem": what})).collect::<Vec<_>>(),
            })
        );
    } else {
        print!(
            "{}",
            render(
                &[
                    "currency",
                    "entries",
                    "postings",
                    "debits",
                    "credits",
                    "difference"
                ],
                &[vec![
                    "CNY".into(),
                    check.entries.to_string(),
                    check.postings.to_string(),
                    format_yuan(check.total_debits),
                    format_yuan(check.total_credits),
                    format_yuan(check.total_debits - check.total_credits),
                ]]
            )
        );
        for (entry, sum) in &check.unbalanced_entries {
            println!(
                "UNBALANCED entry {entry}: postings sum to {}",
                format_yuan(*sum)
            );
        }
        for (payment, problem) in &check.payment_problems {
            println!("PAYMENT {payment}: {problem}");
        }
        println!(
            "{}",
            if check.holds() {
                "ledger holds"
            } else {
                "LEDGER DOES NOT HOLD"
            }
        );
    }
    if !check.holds() {
        anyhow::bail!("ledger check failed");
    }
    Ok(())
}
