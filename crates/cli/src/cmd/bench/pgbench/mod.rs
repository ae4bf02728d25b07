//! `--pgbench URL`: what PostgreSQL itself can do on this machine, measured in the same run as
//! the benchmark (just after it), so that the benchmark's figure can be read as a ratio. Shared
//! machines change from hour to hour; a ratio of two figures taken minutes apart means far more
//! than either figure alone.
//!
//! The reference is pgbench running `payment.sql` (an order, two ledger rows and an outbox row
//! in one transaction, 16 clients) in a scratch database made on the given server and dropped
//! afterwards.

use anyhow::{Context, bail};
use clap::Args;
use sqlx::{Connection, Executor};
use std::time::Duration;
use unipay_core::ids::random_token;
use unipay_store::scratch;

const SCHEMA: &str = include_str!("schema.sql");
const PAYMENT: &str = include_str!("payment.sql");
const CLIENTS: &str = "16";
/// A pgbench run that has not ended this long after its window is stuck.
const GRACE: Duration = Duration::from_secs(60);

#[derive(Debug, Args)]
pub struct PgbenchArgs {
    /// postgres://… of a server on which to run pgbench's payment-like transaction (in a
    /// scratch database) right after the measurement, to print the ratio to it.
    #[arg(long, value_name = "POSTGRES_URL")]
    pgbench: Option<String>,
    /// Length of the pgbench run.
    #[arg(long, default_value_t = 10)]
    pgbench_seconds: u64,
}

/// pgbench's transactions per second, or why there is no figure.
pub type Reference = Option<Result<f64, String>>;

/// Runs pgbench when asked; prints its figure or why there is none.
pub async fn run_beside(args: &PgbenchArgs) -> Reference {
    let url = args.pgbench.as_deref()?;
    let result = measure(url, args.pgbench_seconds)
        .await
        .map_err(|e| format!("{e:#}"));
    match &result {
        Ok(tps) => println!(
            "pgbench payment.sql clients={CLIENTS} seconds={}: tps={tps:.1}",
            args.pgbench_seconds
        ),
        Err(error) => println!("pgbench: no figure ({error})"),
    }
    Some(result)
}

/// `ours` as a share of pgbench's rate, when there is one.
pub fn ratio_line(reference: &Reference, ours: f64) -> Option<String> {
    match reference {
        Some(Ok(tps)) if *tps > 0.0 => Some(format!(
            "ratio_to_pgbench={:.3} (ours {ours:.1}/s, pgbench payment.sql {tps:.1} tx/s)",
            ours / tps
        )),
        _ => None,
    }
}

async fn measure(url: &str, seconds: u64) -> anyhow::Result<f64> {
    let name = format!("unipay_pgbench_{}", random_token(12).to_ascii_lowercase());
    let database_url = scratch::create_database(url, &name)
        .await
        .context("creating pgbench's scratch database")?;
    let result = run_pgbench(&database_url, seconds).await;
    if let Err(error) = scratch::drop_database(url, &name).await {
        eprintln!("could not drop database {name}: {error:#}");
    }
    result
}

async fn run_pgbench(database_url: &str, seconds: u64) -> anyhow::Result<f64> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await?;
    conn.execute(SCHEMA)
        .await
        .context("loading pgbench's schema")?;
    conn.close().await?;
    let dir = std::env::temp_dir().join(format!("unipay-pgbench-{}", random_token(12)));
    super::super::owner_only::create_private_dir(&dir)?;
    let script = dir.join("payment.sql");
    super::super::owner_only::write_private(&script, PAYMENT.as_bytes())?;
    let output = tokio::time::timeout(
        Duration::from_secs(seconds) + GRACE,
        tokio::process::Command::new("pgbench")
            .args(["-n", "-M", "prepared", "-c", CLIENTS, "-j", "2"])
            .arg("-T")
            .arg(seconds.to_string())
            .arg("-f")
            .arg(&script)
            .arg(database_url)
            .kill_on_drop(true)
            .output(),
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let output = output
        .context("pgbench did not end")?
        .context("starting pgbench (is it installed?)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "pgbench failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    tps(&stdout).context("pgbench printed no tps")
}

/// The rate from pgbench's `tps = 3349.123 (without initial connection time)` line.
fn tps(stdout: &str) -> Option<f64> {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|value| value.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::tps;

    #[test]
    fn the_rate_is_read_from_pgbench_output() {
        let out = "number of failed transactions: 0 (0.000%)\nlatency average = 4.7 ms\n\
                   tps = 3349.123456 (without initial connection time)\n";
        assert_eq!(tps(out), Some(3349.123456));
        assert_eq!(tps("nothing"), None);
    }
}
