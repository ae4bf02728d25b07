//! `unipay bench chaos` in short runs: one node on SQLite, two on PostgreSQL, each killed
//! repeatedly mid-flight while the bank misbehaves. The run judges itself (see the command's
//! own checks); these tests hold it to its last line: nothing lost, nothing reported twice,
//! every redelivery explained, the books and the bank in agreement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

fn run_chaos(args: &[&str]) {
    let output = Command::new(env!("CARGO_BIN_EXE_unipay"))
        .args(["bench", "chaos", "--seed", "20261206"])
        .args(args)
        .env_remove("UNIPAY_DATABASE_URL")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "bench chaos {args:?} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    let last = stdout
        .lines()
        .rev()
        .find(|line| line.starts_with("operations="))
        .unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    for (key, value) in last.split(' ').filter_map(|part| part.split_once('=')) {
        match key {
            "operations" | "kills" | "restarts" => {
                assert!(value.parse::<u64>().unwrap() > 0, "{key}: {last}");
            }
            "redelivered_after_ack" => {}
            _ => assert_eq!(value, "0", "{key}: {last}\n{stdout}"),
        }
    }
    println!("{last}");
}

#[test]
fn chaos_one_node_on_sqlite() {
    run_chaos(&["--nodes", "1", "--seconds", "30", "--concurrency", "4"]);
}

#[test]
fn chaos_two_nodes_on_postgresql() {
    use unipay_store::testing::{Unreachable, postgres_listening, when_postgres_unreachable};
    let given = std::env::var("UNIPAY_TEST_POSTGRES_URL").ok();
    let url = given
        .clone()
        .filter(|url| !url.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_POSTGRES.into());
    if !postgres_listening(&url) {
        let ci = std::env::var("CI").ok();
        match when_postgres_unreachable(given.as_deref(), ci.as_deref()) {
            Unreachable::Skip => {
                unipay_store::testing::report_skip(
                    "PostgreSQL",
                    &format!(
                        "{url} unreachable (set CI or UNIPAY_TEST_POSTGRES_URL to make this fail)"
                    ),
                );
                return;
            }
            Unreachable::Fail => panic!("PostgreSQL at {url} is unreachable"),
        }
    }
    run_chaos(&[
        "--nodes",
        "2",
        "--seconds",
        "60",
        "--concurrency",
        "4",
        "--database-url",
        &url,
    ]);
}
