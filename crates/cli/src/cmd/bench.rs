use clap::Subcommand;
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    Pay,
}
pub async fn run(_c: BenchCommand) -> anyhow::Result<()> {
    Ok(())
}
