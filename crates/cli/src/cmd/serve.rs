use clap::Args;
use std::path::PathBuf;
use unipay_server::ServerConfig;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// unipay.toml (see `unipay init`); UNIPAY_* environment variables override it.
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long)]
    listen: Option<String>,
    #[arg(long)]
    public_url: Option<String>,
    /// text or json
    #[arg(long)]
    log_format: Option<String>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = ServerConfig::load(args.config.as_deref())?;
    if let Some(url) = args.database_url {
        config.database_url = url;
    }
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(public_url) = args.public_url {
        config.public_url = public_url;
    }
    if let Some(format) = args.log_format {
        config.log_format = format;
    }
    config.validate()?;
    unipay_server::logging::init(&config.log_format);
    super::ensure_sqlite_dir(&config.database_url)?;
    unipay_server::serve(config, super::shutdown_signal()).await
}
