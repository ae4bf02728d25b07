//! `unipay bench pay` end to end: its own world on SQLite, a short run, a well-formed last line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

/// The last line's fields, in order, with their values.
fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|part| {
            let (key, value) = part.split_once('=').expect("key=value");
            (key.to_string(), value.to_string())
        })
        .collect()
}

#[test]
fn bench_pay_completes_payments_and_prints_its_figures() {
    bench_pay_prints_its_figures("abc");
}

/// The same payments through the simulator's UnionPay gateway: paid on its page, the back
/// notification, the same figures.
#[test]
fn bench_pay_through_unionpay_completes_payments_and_prints_its_figures() {
    bench_pay_prints_its_figures("unionpay");
}

fn bench_pay_prints_its_figures(bank: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_unipay"))
        .args(["bench", "pay", "--concurrency", "4", "--seconds", "2"])
        .args(["--bank", bank])
        .env_remove("UNIPAY_DATABASE_URL")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench pay failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("RSA 1024 bits"),
        "names the key size:\n{stdout}"
    );
    assert!(
        stdout.contains(&format!("bank={bank}")),
        "names the bank:\n{stdout}"
    );
    let last = stdout.lines().last().expect("prints lines");
    let fields = fields(last);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "payments_per_s",
            "p50_ms",
            "p99_ms",
            "lost",
            "duplicated",
            "rss_mb"
        ],
        "{last}"
    );
    for (key, value) in &fields {
        match key.as_str() {
            "lost" | "duplicated" => assert_eq!(value, "0", "{last}"),
            _ => {
                let (_, decimals) = value.split_once('.').expect("one decimal");
                assert_eq!(decimals.len(), 1, "{key} has one decimal: {last}");
                let number: f64 = value.parse().expect("a number");
                assert!(number >= 0.0, "{last}");
            }
        }
    }
    let per_s: f64 = fields[0].1.parse().unwrap();
    assert!(per_s > 0.0, "{last}");
    let rss: f64 = fields[5].1.parse().unwrap();
    assert!(rss > 0.0, "the server's peak RSS is measured: {last}");
}

/// Runs `bench recon` on a small day and checks its last line: every injected difference found
/// and nothing else (the command itself fails otherwise), on the given database.
fn bench_recon_finds_exactly_what_was_injected(database_url: Option<&str>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_unipay"));
    command
        .args(["bench", "recon", "--payments", "5000"])
        .env_remove("UNIPAY_DATABASE_URL");
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let output = command.output().expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench recon failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().expect("prints lines");
    let fields = fields(last);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "rows_per_s",
            "seconds",
            "differences_found",
            "differences_injected",
            "rss_mb"
        ],
        "{last}"
    );
    assert_eq!(fields[2].1, fields[3].1, "{last}");
    // Five classes, one record in a thousand each.
    assert_eq!(fields[3].1, "25", "{last}");
}

/// Given a SQLite file, the run works in a scratch file beside it and removes it: the file it
/// was given is never made, and nothing is left in its folder.
#[test]
fn bench_recon_on_sqlite_leaves_nothing_behind() {
    let dir = std::env::temp_dir().join(format!("unipay-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let given = dir.join("mine.db");
    bench_recon_finds_exactly_what_was_injected(Some(&format!("sqlite://{}", given.display())));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn bench_recon_on_postgres() {
    use unipay_store::testing::{Unreachable, postgres_listening, when_postgres_unreachable};
    let given = std::env::var("UNIPAY_TEST_POSTGRES_URL").ok();
    let url = given
        .clone()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/test".into());
    if !postgres_listening(&url) {
        let ci = std::env::var("CI").ok();
        match when_postgres_unreachable(given.as_deref(), ci.as_deref()) {
            Unreachable::Skip => {
                unipay_store::testing::report_skip("PostgreSQL", &format!("{url} unreachable"));
                return;
            }
            Unreachable::Fail => panic!("PostgreSQL at {url} is unreachable"),
        }
    }
    bench_recon_finds_exactly_what_was_injected(Some(&url));
}

/// `bench create` on its own world: every creation succeeds, the steps are printed with
/// unipay's own share read from its request-duration histogram, and the last line names its
/// figures.
#[test]
fn bench_create_creates_and_reads_its_histogram() {
    let output = Command::new(env!("CARGO_BIN_EXE_unipay"))
        .args(["bench", "create", "--concurrency", "2", "--seconds", "1"])
        .env_remove("UNIPAY_DATABASE_URL")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench create failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("step round_trip"), "{stdout}");
    assert!(stdout.contains("step server"), "{stdout}");
    let last = stdout.lines().last().expect("prints lines");
    let fields = fields(last);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["created_per_s", "p50_ms", "p99_ms", "failed", "rss_mb"],
        "{last}"
    );
    assert_eq!(fields[3].1, "0", "{last}");
}

/// `bench refund` on its own world: every refund succeeds and no payment is over-refunded
/// (the command fails otherwise); its last line names its figures.
#[test]
fn bench_refund_refunds_without_loss() {
    let output = Command::new(env!("CARGO_BIN_EXE_unipay"))
        .args(["bench", "refund", "--concurrency", "4", "--seconds", "2"])
        .env_remove("UNIPAY_DATABASE_URL")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "bench refund failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().expect("prints lines");
    let fields = fields(last);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "refunds_per_s",
            "p50_ms",
            "p99_ms",
            "lost",
            "over_refunded",
            "rss_mb"
        ],
        "{last}"
    );
    assert_eq!(fields[3].1, "0", "{last}");
    assert_eq!(fields[4].1, "0", "{last}");
    let per_s: f64 = fields[0].1.parse().unwrap();
    assert!(per_s > 0.0, "{last}");
}
