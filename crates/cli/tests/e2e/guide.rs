//! docs/CONNECT.md, run as written: its `sh` blocks (all but those marked `skip-test`), in
//! order, as one bash script in a fresh folder, with this build's `unipay` first on the PATH.
//! The guide uses fixed ports (unipay's 8080, the simulator's 7701, the business system's
//! 9000), so where this process may make a network namespace it runs the script in one of its
//! own, whose loopback nothing else listens on; elsewhere those ports must be free.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const GUIDE: &str = include_str!("../../../../docs/CONNECT.md");

/// Two RSA keys made, three processes started, a payment and a refund notified: well inside.
const LIMIT: Duration = Duration::from_secs(50);

/// The guide's runnable blocks, in order.
fn runnable_blocks(markdown: &str) -> Vec<String> {
    blocks(markdown, |info| {
        let mut words = info.split_whitespace();
        words.next() == Some("sh") && !words.any(|word| word == "skip-test")
    })
}

/// The code blocks whose info string `wanted` takes, in order.
fn blocks(markdown: &str, wanted: impl Fn(&str) -> bool) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<(bool, String)> = None;
    for line in markdown.lines() {
        match (&mut current, line.strip_prefix("```")) {
            (None, Some(info)) => current = Some((wanted(info), String::new())),
            (Some((keep, text)), Some(_)) => {
                if *keep {
                    blocks.push(std::mem::take(text));
                }
                current = None;
            }
            (Some((_, text)), None) => {
                text.push_str(line);
                text.push('\n');
            }
            (None, None) => {}
        }
    }
    assert!(current.is_none(), "a code block is not closed");
    blocks
}

/// Whether `program` runs here; a missing one fails under CI and skips (said so) elsewhere.
fn available(program: &str, arg: &str) -> bool {
    let runs = Command::new(program)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        assert!(
            std::env::var_os("CI").is_none(),
            "{program} is needed to run docs/CONNECT.md and does not run"
        );
        eprintln!("skipped: {program} does not run here (with CI set this fails)");
    }
    runs
}

/// A network namespace with its loopback up can be made here (root, or user namespaces).
fn own_network() -> bool {
    Command::new("unshare")
        .args(["--net", "ip", "link", "set", "lo", "up"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn read_or_empty(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// What the script and the processes it started wrote, for a failure's message.
fn what_happened(dir: &Path) -> String {
    let work = dir.join("unipay-try");
    let mut out = String::new();
    for path in [
        dir.join("guide.out"),
        work.join("banksim.log"),
        work.join("unipay.log"),
        work.join("business.log"),
        work.join("events.jsonl"),
    ] {
        out.push_str(&format!(
            "\n--- {}\n{}",
            path.display(),
            read_or_empty(&path)
        ));
    }
    out
}

#[test]
fn the_guide_runs_as_written() {
    for (program, arg) in [
        ("python3", "--version"),
        ("openssl", "version"),
        ("curl", "--version"),
    ] {
        if !available(program, arg) {
            return;
        }
    }
    let blocks = runnable_blocks(GUIDE);
    assert!(blocks.len() >= 15, "{} runnable blocks", blocks.len());
    let script = format!(
        "set -euo pipefail\n\
         # The processes the guide starts end with it, however it ends.\n\
         trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{}",
        blocks.concat()
    );
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "unipay-guide-{}",
        unipay_core::ids::random_token(12)
    ));
    std::fs::create_dir_all(&dir).expect("a folder for the guide");
    std::fs::write(dir.join("guide.sh"), script).expect("writes the script");

    let binary = Path::new(env!("CARGO_BIN_EXE_unipay"));
    let bin_dir = binary.parent().expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let isolated = own_network();
    if !isolated {
        eprintln!(
            "docs/CONNECT.md runs on this machine's loopback: ports 7701, 8080 and 9000 must be free"
        );
    }
    let mut command = if isolated {
        let mut command = Command::new("unshare");
        command.args([
            "--net",
            "sh",
            "-c",
            "ip link set lo up && exec bash guide.sh",
        ]);
        command
    } else {
        let mut command = Command::new("bash");
        command.arg("guide.sh");
        command
    };
    let output = std::fs::File::create(dir.join("guide.out")).expect("output file");
    command
        .current_dir(&dir)
        .env("PATH", path)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(output.try_clone().expect("output file"))
        .stderr(output);
    // Settings a developer's shell may carry would change what the guide's commands do.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("UNIPAY_") {
            command.env_remove(name);
        }
    }
    // Its own process group, so that whatever it started can be stopped with it.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().expect("starts bash");
    let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits for the script") {
            break Some(status);
        }
        if started.elapsed() > LIMIT {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
    let _ = child.wait();
    let Some(status) = status else {
        panic!(
            "docs/CONNECT.md did not finish within {LIMIT:?}{}",
            what_happened(&dir)
        );
    };
    assert!(
        status.success(),
        "docs/CONNECT.md failed ({status}){}",
        what_happened(&dir)
    );
    let printed = read_or_empty(&dir.join("guide.out"));
    for expected in [
        "the same payment: pay_",
        "idempotency_key_reused",
        " succeeded\n",
        "verified: T-2026-0001 succeeded 1250 fen",
    ] {
        assert!(
            printed.contains(expected),
            "the guide did not show {expected:?}{}",
            what_happened(&dir)
        );
    }
    println!(
        "docs/CONNECT.md ran in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The simulator's configuration the guide shows instead of `POST /sim/merchants` is one the
/// simulator reads, with the merchant the guide registers.
#[test]
fn the_guide_simulator_file_is_read_by_the_simulator() {
    let files = blocks(GUIDE, |info| info.trim() == "toml");
    assert_eq!(files.len(), 1, "{files:?}");
    let config = unipay_banksim::SimFileConfig::from_toml_str(&files[0]).expect("a valid file");
    assert_eq!(config.merchants.len(), 1);
    assert!(files[0].contains("merchant_id = \"103881234560010\""));
}

#[test]
fn blocks_marked_skip_test_and_other_languages_are_left_out() {
    let markdown =
        "text\n```sh\na\n```\n```sh skip-test\nb\n```\n```toml\nc = 1\n```\n```sh\nd\ne\n```\n";
    assert_eq!(runnable_blocks(markdown), vec!["a\n", "d\ne\n"]);
}
