//! `unipay bench …`: benchmarks that drive real processes over HTTP and print their figures.

mod chaos;
mod create;
mod form;
mod pay;
mod pgbench;
mod profile;
mod recon;
mod refund;
mod stats;
mod world;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Complete payments (create → cashier → bank pays → signed notification) as fast as N
    /// concurrent business systems can; prints throughput, latency, losses, duplicates and the
    /// server's peak memory.
    Pay(pay::PayArgs),
    /// Create payments only (signed `POST /v1/payments`) as fast as N concurrent business
    /// systems can; prints throughput, latency and the steps of a creation.
    Create(create::CreateArgs),
    /// Reconcile a day of N payments end to end (store, statement parse, matching, differences
    /// kept) against a statement with known injected differences; prints rows/s and memory.
    Recon(recon::ReconArgs),
    /// Refund 1 fen at a time from paid payments with N concurrent business systems; prints
    /// throughput, latency, refunds that did not succeed and payments over-refunded.
    Refund(refund::RefundArgs),
    /// Several nodes under a mixed workload while the bank misbehaves and nodes are killed
    /// mid-flight; then checks that no result was lost or reported twice and that the books
    /// agree with the bank. Prints one summary line and fails on any problem.
    Chaos(chaos::ChaosArgs),
}

pub async fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Pay(args) => pay::run(args).await,
        BenchCommand::Create(args) => create::run(args).await,
        BenchCommand::Recon(args) => recon::run(args).await,
        BenchCommand::Refund(args) => refund::run(args).await,
        BenchCommand::Chaos(args) => chaos::run(args).await,
    }
}
