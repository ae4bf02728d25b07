//! Progress on standard error for the commands that take a while (`statements fetch`, `recon`,
//! `settle`, `bench …`). Drawn only for a person watching: when standard error is a terminal
//! and the command is not writing for a program (`--json`, `--format json|csv`). A pipe, a
//! log file or a script sees nothing, so their output stays what it was.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a bar redraws while waiting on something slow (a bank call, a benchmark).
const TICK: Duration = Duration::from_millis(120);

const STEPS: &str = "{spinner} [{pos}/{len}] {wide_msg} {elapsed}";
const SPINNER: &str = "{spinner} {wide_msg} {elapsed}";
const TIMED: &str = "{spinner} {msg} [{bar:30}] {pos}/{len} s";

/// Whether to draw: a terminal on standard error and output meant for people.
pub fn visible(stderr_is_terminal: bool, machine_output: bool) -> bool {
    stderr_is_terminal && !machine_output
}

pub struct Progress {
    bar: ProgressBar,
    /// Moves a timed bar along; stopped with it.
    ticker: Option<tokio::task::JoinHandle<()>>,
}

/// `bar`, ticking, when it is to be drawn; else a bar that draws nothing.
fn attach(bar: ProgressBar, machine_output: bool) -> ProgressBar {
    if visible(std::io::stderr().is_terminal(), machine_output) {
        bar.enable_steady_tick(TICK);
        bar
    } else {
        ProgressBar::hidden()
    }
}

impl Progress {
    /// A bar of `total` steps (channel accounts, say), each named with [`Progress::step`].
    pub fn steps(total: usize, machine_output: bool) -> Progress {
        let bar =
            ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX)).with_style(style(STEPS));
        Progress {
            bar: attach(bar, machine_output),
            ticker: None,
        }
    }

    /// A spinner for one piece of work of unknown length.
    pub fn spinner(message: &str, machine_output: bool) -> Progress {
        let bar = ProgressBar::new_spinner()
            .with_style(style(SPINNER))
            .with_message(message.to_string());
        Progress {
            bar: attach(bar, machine_output),
            ticker: None,
        }
    }

    /// A bar that fills over `seconds` of wall time: a benchmark's measured window.
    pub fn timed(message: &str, seconds: u64) -> Progress {
        let bar = ProgressBar::new(seconds.max(1))
            .with_style(style(TIMED))
            .with_message(message.to_string());
        let bar = attach(bar, false);
        let ticker = (!bar.is_hidden()).then(|| {
            let bar = bar.clone();
            let started = Instant::now();
            tokio::spawn(async move {
                loop {
                    bar.set_position(started.elapsed().as_secs());
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        });
        Progress { bar, ticker }
    }

    /// Starts the next step, naming it.
    pub fn step(&self, message: String) {
        self.bar.set_message(message);
    }

    /// Counts the step just done.
    pub fn done_one(&self) {
        self.bar.inc(1);
    }

    pub fn set_message(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    /// Runs `print` with the bar taken off the screen, so that a line written to standard
    /// output meanwhile does not land in the middle of it.
    pub fn suspend<R>(&self, print: impl FnOnce() -> R) -> R {
        self.bar.suspend(print)
    }
}

/// The bar leaves no line behind: the command's own output follows on standard output.
impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(ticker) = self.ticker.take() {
            ticker.abort();
        }
        self.bar.finish_and_clear();
    }
}

fn style(template: &str) -> ProgressStyle {
    // The templates are constants of this file; a bad one would show as a plain spinner.
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_spinner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_only_on_a_terminal_and_never_for_programs() {
        assert!(visible(true, false));
        assert!(!visible(false, false), "a pipe or a file gets nothing");
        assert!(
            !visible(true, true),
            "--json gets nothing, even on a terminal"
        );
        assert!(!visible(false, true));
    }

    #[test]
    fn the_templates_are_valid() {
        for template in [STEPS, SPINNER, TIMED] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }

    #[test]
    fn hidden_for_programs_whatever_standard_error_is() {
        let progress = Progress::steps(3, true);
        assert!(progress.bar.is_hidden());
        let progress = Progress::spinner("x", true);
        assert!(progress.bar.is_hidden());
    }
}
