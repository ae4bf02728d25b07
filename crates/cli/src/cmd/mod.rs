//! The command line: one subcommand per job.

mod admin;
mod banksim;
mod bench;
mod console_users;
mod demo;
mod init;
mod ledger;
mod owner_only;
mod progress;
mod recon;
mod rotate_kek;
mod serve;
mod settle;
mod statements;
mod table;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use unipay_store::secrets::Reseal;

#[derive(Debug, Parser)]
#[command(
    name = "unipay",
    version,
    about = "unipay — a unified payment platform (统一支付平台)"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the database is: `--database-url`, else `UNIPAY_DATABASE_URL`, else the config file's,
/// else `sqlite://data/unipay.db`.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// sqlite://PATH or postgres://...
    #[arg(long, env = "UNIPAY_DATABASE_URL")]
    pub database_url: Option<String>,
    /// A unipay.toml to read the database URL from.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

impl DatabaseArgs {
    pub fn url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        let config = unipay_server::ServerConfig::load(self.config.as_deref())?;
        Ok(config.database_url)
    }

    /// The database, migrated. With a KEK configured (`[secrets] kek_file`,
    /// `UNIPAY_SECRETS_KEK_FILE`) it seals and opens stored secrets, and any plaintext secret
    /// left from before sealing is sealed now; without one, commands that touch no secret
    /// still work.
    pub async fn store(&self) -> anyhow::Result<unipay_store::Store> {
        let url = self.url()?;
        let keyring = unipay_server::ServerConfig::load(self.config.as_deref())?
            .secrets
            .keyring()?;
        ensure_sqlite_dir(&url)?;
        let mut store = unipay_store::Store::connect(&url).await?;
        store.migrate().await?;
        if let Some(keyring) = keyring {
            store = store.with_keyring(keyring);
            store.reseal_secrets(Reseal::Plaintext).await?;
        }
        Ok(store)
    }
}

impl DatabaseArgs {
    /// The server's shared state, for commands that run the server's own flows (fetching a
    /// statement, reconciling, recording a success found by reconciliation).
    pub async fn app_state(&self) -> anyhow::Result<unipay_server::AppState> {
        let mut config = unipay_server::ServerConfig::load(self.config.as_deref())?;
        config.database_url = self.url()?;
        config.notifier.deliver_at_once = false;
        let store = self.store().await?;
        Ok(unipay_server::AppState::new(
            store,
            config,
            std::sync::Arc::new(unipay_core::SystemClock),
        )?)
    }
}

/// Refuses anything but a real `YYYY-MM-DD` date.
pub fn require_date(date: &str) -> anyhow::Result<()> {
    if unipay_server::flows::books::is_date(date) {
        Ok(())
    } else {
        anyhow::bail!("dates are YYYY-MM-DD, not {date:?}")
    }
}

/// The channel account asked for (checked to exist), or every one.
pub async fn channel_accounts(
    state: &unipay_server::AppState,
    only: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let all = state.store.list_channel_accounts().await?;
    let ids: Vec<String> = all
        .into_iter()
        .map(|a| a.id)
        .filter(|id| only.is_none_or(|only| only == id))
        .collect();
    if ids.is_empty() {
        anyhow::bail!(
            "no channel account{}",
            only.map(|id| format!(" {id}")).unwrap_or_default()
        );
    }
    Ok(ids)
}

/// After a command went through every channel account: an error naming each that failed (the
/// others' work is done and printed).
pub fn fail_if_any(what: &str, failed: &[String]) -> anyhow::Result<()> {
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{what} failed for {}", failed.join("; "))
    }
}

/// Who a command-line action is recorded as: `cli:` and the operating-system user.
pub fn cli_actor() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "unknown".into())
    )
}

/// SQLite creates the file but not its directory: made here, owner-only like the file.
pub fn ensure_sqlite_dir(url: &str) -> anyhow::Result<()> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            owner_only::create_private_dir(dir)?;
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the platform: merchant API, cashier, bank callbacks, workers.
    Serve(serve::ServeArgs),
    /// Apply database migrations and exit.
    Migrate(DatabaseArgs),
    /// Run the ABC TrustPay bank simulator.
    Banksim(banksim::BanksimArgs),
    /// Start the simulator, the platform and a demo shop with SQLite under ./data, and print the URLs.
    Demo(demo::DemoArgs),
    /// Write a commented example unipay.toml and keys.
    Init(init::InitArgs),
    /// Administration: merchants, apps, channel accounts, keys, events.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// The double-entry ledger: balances and the trial balance.
    #[command(subcommand)]
    Ledger(ledger::LedgerCommand),
    /// Bank statements (对账单): fetch and list.
    #[command(subcommand)]
    Statements(statements::StatementsCommand),
    /// Reconciliation (对账) of an accounting date, its differences and its report.
    Recon(recon::ReconArgs),
    /// Benchmarks that print their figures.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// Clearing and settlement: make a date's batches, approve, mark paid, cancel, list, file.
    Settle(settle::SettleArgs),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Migrate(args) => {
            let store = args.store().await?;
            // Sealing needs the KEK: plaintext secrets left without it is an unfinished migration.
            let plaintext = store.plaintext_secret_count().await?;
            if plaintext > 0 {
                anyhow::bail!(
                    "migrations applied, but {plaintext} stored secrets are plaintext: run again \
                     with [secrets] kek_file or UNIPAY_SECRETS_KEK_FILE to seal them"
                );
            }
            println!("migrations applied");
            Ok(())
        }
        Command::Banksim(args) => banksim::run(args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::Init(args) => init::run(args),
        Command::Admin(command) => admin::run(command).await,
        Command::Ledger(command) => ledger::run(command).await,
        Command::Statements(command) => statements::run(command).await,
        Command::Recon(args) => recon::run(args).await,
        Command::Bench(command) => bench::run(command).await,
        Command::Settle(args) => settle::run(args).await,
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
