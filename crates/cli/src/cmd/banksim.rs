use clap::Args;
use std::path::PathBuf;
use unipay_banksim::SimFileConfig;

#[derive(Debug, Args)]
pub struct BanksimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:7701")]
    listen: String,
    /// The simulator's TOML configuration (merchants, schedules, keys).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the simulator keeps (or finds) its key and certificate.
    #[arg(long)]
    key_dir: Option<PathBuf>,
    /// The URL browsers and merchants use to reach the simulator (default http://<listen>).
    #[arg(long)]
    public_url: Option<String>,
    /// Server-notification retry delays in milliseconds, comma-separated.
    #[arg(long, value_delimiter = ',')]
    notify_schedule_ms: Option<Vec<u64>>,
    #[arg(long, default_value = "text")]
    log_format: String,
}

pub async fn run(args: BanksimArgs) -> anyhow::Result<()> {
    unipay_server::logging::init(&args.log_format);
    let mut file = match &args.config {
        Some(path) => SimFileConfig::load(path)?,
        None => SimFileConfig::default(),
    };
    if let Some(url) = args.public_url {
        file.public_url = Some(url);
    }
    if let Some(schedule) = args.notify_schedule_ms {
        file.notify_schedule_ms = Some(schedule);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let address = listener.local_addr()?;
    if let Some(dir) = &args.key_dir {
        std::fs::create_dir_all(dir)?;
    }
    let config = file.into_sim_config(&format!("http://{address}"), args.key_dir.as_deref())?;
    println!("banksim listening on http://{address}");
    unipay_banksim::serve(config, listener, super::shutdown_signal()).await
}
