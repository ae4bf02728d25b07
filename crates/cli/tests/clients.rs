//! The Java and Python clients (`clients/`) against a real unipay and bank simulator: each
//! one's own unit tests, then its live check (operations against the served OpenAPI document,
//! a payment paid and notified, its return URL, a refund, error codes). Under CI a missing
//! `python3`, `java` or `javac` fails the test; elsewhere it is skipped, and said so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "e2e/harness.rs"]
mod harness;

use harness::World;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::process::Command;
use unipay_store::testing::TestBackend;

/// A client's whole run (compiling included) stays well inside the suite's patience.
const CLIENT_RUN_LIMIT: Duration = Duration::from_secs(60);

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients")
}

/// Whether `program` runs here. Without it the test cannot check anything: under CI that is
/// a failure, elsewhere a skip that says so.
fn available(program: &str, version_flag: &str) -> bool {
    let runs = std::process::Command::new(program)
        .arg(version_flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is needed to test the clients in clients/ and does not run"
        );
        eprintln!("skipped: {program} does not run here (with CI set this fails)");
    }
    runs
}

/// The platform's coordinates, as a business system would be configured with them.
fn platform_env(world: &World) -> Vec<(&'static str, String)> {
    vec![
        ("UNIPAY_BASE_URL", world.server_url.clone()),
        ("UNIPAY_BANKSIM_URL", world.bank_url.clone()),
        ("UNIPAY_APP_ID", world.app_id.clone()),
        ("UNIPAY_APP_SECRET", world.secret.clone()),
    ]
}

/// Runs `program args` in `dir` and expects it to exit 0 within the limit; shows its output.
async fn run(dir: &Path, program: &str, args: &[String], env: &[(&str, String)]) {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        // The tree stays clean: no __pycache__ beside the sources.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = tokio::time::timeout(CLIENT_RUN_LIMIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("{program} {args:?} did not end within {CLIENT_RUN_LIMIT:?}"))
        .unwrap_or_else(|e| panic!("{program} {args:?} does not start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{program} {args:?}:\n{stdout}{stderr}");
    assert!(
        output.status.success(),
        "{program} {args:?} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

/// Every `.java` file under `dir`, sorted so that compiler messages come in a stable order.
fn java_sources(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("reads the source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "java") {
                found.push(path.display().to_string());
            }
        }
    }
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_client_pays_refunds_and_verifies() {
    if !available("python3", "--version") {
        return;
    }
    let dir = clients_dir().join("python");
    let unit = strings(&["-m", "unittest", "discover", "-s", "tests"]);
    run(&dir, "python3", &unit, &[]).await;

    let world = World::start(TestBackend::Sqlite)
        .await
        .expect("SQLite is always there");
    let live = strings(&["tests/live_check.py"]);
    run(&dir, "python3", &live, &platform_env(&world)).await;
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_java_client_pays_refunds_and_verifies() {
    if !available("javac", "-version") || !available("java", "-version") {
        return;
    }
    let dir = clients_dir().join("java");
    let classes = std::env::temp_dir().join(format!(
        "unipay-java-client-{}",
        unipay_core::ids::random_token(12)
    ));
    // The library, its tests and the examples, against the JDK 8 API: what users build with.
    let mut javac = strings(&[
        "--release",
        "8",
        "-encoding",
        "UTF-8",
        "-Xlint:all,-options",
        "-Werror",
        "-d",
    ]);
    javac.push(classes.display().to_string());
    for folder in ["src/main/java", "src/test/java", "examples"] {
        javac.extend(java_sources(&dir.join(folder)));
    }
    run(&dir, "javac", &javac, &[]).await;
    let classpath = classes.display().to_string();
    let unit = strings(&["-cp", &classpath, "unipay.client.UnitTests"]);
    run(&dir, "java", &unit, &[]).await;

    let world = World::start(TestBackend::Sqlite)
        .await
        .expect("SQLite is always there");
    let live = strings(&["-cp", &classpath, "unipay.client.LiveCheck"]);
    run(&dir, "java", &live, &platform_env(&world)).await;
    world.finish().await;
    let _ = std::fs::remove_dir_all(&classes);
}
