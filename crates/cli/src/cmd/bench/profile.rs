//! `--profile`: where the measured process's time goes, per operation, from `perf stat`
//! attached to it for the measured window: CPU time and context switches always, instructions
//! where the machine exposes hardware counters (many virtual machines do not, and then the
//! line says so rather than printing nothing).

use clap::Args;
use std::process::Stdio;
use tokio::process::{Child, Command};

const EVENTS: &str = "task-clock,context-switches,cpu-migrations,instructions";

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Attach `perf stat` to the measured process for the window and print its counts per
    /// operation.
    #[arg(long)]
    profile: bool,
}

pub struct Profiler {
    perf: Option<Child>,
    /// Why there is no profile, when one was asked for.
    missing: Option<String>,
}

/// Starts `perf stat` on `pid` when `--profile` was given.
pub fn start(args: &ProfileArgs, pid: Option<u32>) -> anyhow::Result<Profiler> {
    if !args.profile {
        return Ok(Profiler {
            perf: None,
            missing: None,
        });
    }
    let Some(pid) = pid else {
        return Ok(Profiler {
            perf: None,
            missing: Some("the measured process is not known".into()),
        });
    };
    let spawned = Command::new("perf")
        .args(["stat", "-x", ",", "-e", EVENTS, "-p", &pid.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    Ok(match spawned {
        Ok(child) => Profiler {
            perf: Some(child),
            missing: None,
        },
        Err(error) => Profiler {
            perf: None,
            missing: Some(format!("perf could not be started ({error})")),
        },
    })
}

impl Profiler {
    /// Stops `perf` and gives its counts per operation (`operations` of `unit`), as lines.
    pub async fn finish(self, operations: u64, unit: &str) -> Vec<String> {
        if let Some(missing) = self.missing {
            return vec![format!("profile: none ({missing})")];
        }
        let Some(perf) = self.perf else {
            return Vec::new();
        };
        // perf prints its counts when interrupted, as it does on Ctrl-C.
        if let Some(id) = perf.id().and_then(|id| i32::try_from(id).ok()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(id),
                nix::sys::signal::Signal::SIGINT,
            );
        }
        match perf.wait_with_output().await {
            Ok(output) => per_operation(&String::from_utf8_lossy(&output.stderr), operations, unit),
            Err(error) => vec![format!("profile: none (perf: {error})")],
        }
    }
}

/// perf's CSV (`value,unit,event,…`) as counts per operation.
fn per_operation(csv: &str, operations: u64, unit: &str) -> Vec<String> {
    let per = operations.max(1) as f64;
    let mut counted = Vec::new();
    let mut unsupported = Vec::new();
    for line in csv.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        let (Some(value), Some(event)) = (fields.first(), fields.get(2)) else {
            continue;
        };
        if value.starts_with('<') {
            unsupported.push(*event);
            continue;
        }
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        counted.push(match *event {
            "task-clock" => format!("cpu_ms={:.3}", value / per),
            other => format!("{other}={:.1}", value / per),
        });
    }
    let mut lines = vec![format!(
        "profile (perf stat, per {unit}, {operations} of them): {}",
        counted.join(" ")
    )];
    if !unsupported.is_empty() {
        lines.push(format!(
            "profile: not counted on this machine (no hardware counters): {}",
            unsupported.join(", ")
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::per_operation;

    #[test]
    fn perf_counts_are_divided_by_the_operations() {
        let csv = "2000.00,msec,task-clock,1,100.00,,\n500,,context-switches,0,100.00,,\n\
                   <not supported>,,instructions,0,100.00,,\n";
        let lines = per_operation(csv, 1000, "payment");
        assert_eq!(
            lines[0],
            "profile (perf stat, per payment, 1000 of them): cpu_ms=2.000 context-switches=0.5"
        );
        assert!(lines[1].contains("instructions"), "{lines:?}");
    }
}
