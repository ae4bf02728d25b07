use clap::Args;
use std::path::PathBuf;
use unipay_banksim::SimFileConfig;

/// How a merchant is registered, shown by `unipay banksim --help`.
const REGISTERING_MERCHANTS: &str = r#"Registering a merchant:
The simulator verifies each request with the certificate registered for its MerchantID and
refuses an unknown merchant (ReturnCode 2001). Register one of two ways:

1. At run time, POST /sim/merchants (replaces an earlier registration of the same id):

     curl -X POST http://127.0.0.1:7701/sim/merchants \
       -H 'Content-Type: application/json' \
       -d '{"merchant_id": "103881234560010",
            "certificate_pem": "-----BEGIN CERTIFICATE-----\nMIID...\n-----END CERTIFICATE-----\n"}'

   It answers {"merchant_id": "103881234560010", "subject": "..."}. merchant_id is 1-32
   letters, digits, '-' or '_'; certificate_pem is the merchant's certificate as PEM.

2. At start, in the --config TOML (certificate_file: DER or PEM, relative to the TOML file):

     listen = "127.0.0.1:7701"
     state_file = "banksim-state.json"   # optional, as --state-file

     [[merchants]]
     merchant_id = "103881234560010"
     certificate_file = "merchant.cer"

With --state-file (or state_file) the registrations made through /sim/merchants and the bank's
book (orders with their refunds and pre-authorization operations, batch refunds, mandates and
debit batches, K-code bills, the identity registry and verifications) are kept in that file (rewritten atomically within half a second of a change, and at shutdown)
and come back after a restart; merchants from the TOML win over those in the file.
The simulator's own certificate (the merchant's TrustPay.cer) is at GET /sim/certificate
(DER) and GET /sim/certificate.pem."#;

#[derive(Debug, Args)]
#[command(after_help = REGISTERING_MERCHANTS)]
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
    /// Keep merchant registrations and the bank's book (orders, refunds, mandates) in this
    /// file across restarts (overrides the TOML's state_file).
    #[arg(long)]
    state_file: Option<PathBuf>,
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
    if let Some(path) = args.state_file {
        file.state_file = Some(path);
    }
    if let Some(schedule) = args.notify_schedule_ms {
        file.notify_schedule_ms = Some(schedule);
    }
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let address = listener.local_addr()?;
    if let Some(dir) = &args.key_dir {
        unipay_banksim::config::create_owner_only_dir(dir)?;
    }
    let config = file.into_sim_config(&format!("http://{address}"), args.key_dir.as_deref())?;
    println!("banksim listening on http://{address}");
    unipay_banksim::serve(config, listener, super::shutdown_signal()).await
}
