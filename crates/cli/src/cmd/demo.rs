use clap::Args;
#[derive(Debug, Args)]
pub struct DemoArgs {}
pub async fn run(_args: DemoArgs) -> anyhow::Result<()> {
    Ok(())
}
