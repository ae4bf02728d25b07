//! `unipay`: the one binary — the platform, the bank simulator, the demo, migrations,
//! administration and benchmarks.

mod cmd;

use clap::Parser;
use std::process::ExitCode;

/// A request's work allocates and frees many small buffers across the runtime's threads;
/// mimalloc serves them from per-thread pages, where glibc's malloc took a tenth of the
/// server's time under `bench pay`. Built without transparent huge pages (`no_thp`), which
/// cost a large reconciliation more memory than they saved time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cmd::Cli::parse();
    match cmd::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
