use clap::Args;
use std::path::PathBuf;
use unipay_banksim::SimFileConfig;
use unipay_banksim::unionpay::{Authority, UnionPayConfig};

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
(DER) and GET /sim/certificate.pem.

China UnionPay mode (--unionpay-listen ADDR):
The same process also serves UnionPay's online gateway (ACP 5.0.0/5.1.0) on ADDR, with its
own merchants and book: /gateway/api/frontTransReq.do (consume 01, pre-auth 02, paid or
declined by the payer on its page), /gateway/api/backTransReq.do (refund 04, void 31,
pre-auth void 32, completion 03 up to 115 % of the hold and within 30 days of it (later:
respCode 39), completion void 33),
/gateway/api/queryTrans.do, and the reconciliation file (76/01) at POST /. Its
root -> middle -> signing chain is made at first start (kept in --key-dir as
unionpay-root.cer, unionpay-middle.cer, unionpay-sign.cer/.key) and served at
GET /sim/unionpay/certs: a 5.1.0 merchant verifies with the root and middle (the leaf's CN is
UnionPay's test form, ...@00040000:SIGN@..., so the CN check must accept the test identity),
a 5.0.0 merchant with the signing certificate. An SM2 chain beside it (unionpay-sm2-*.cer,
served as sm2_root_pem and sm2_middle_pem) answers merchants signing with SM2 (signMethod 21).
Register a merchant with its RSA or SM2 certificate and/or secure key (signMethod 11/12):

     curl -X POST http://127.0.0.1:7702/sim/unionpay/merchants \
       -H 'Content-Type: application/json' \
       -d '{"mer_id": "777290058110048", "certificate_pem": "-----BEGIN CERTIFICATE-----\n...",
            "secure_key": "88888888"}'

With --unionpay-state-file its merchants and book survive a restart.
Back notifications are retried at 0, 1, 2 and 4 minutes until HTTP 200
(--unionpay-notify-schedule-ms); faults: POST /sim/unionpay/faults
{"notify": "drop"|"duplicate"|"delay", "notify_delay_ms", "query_orig_resp_code": "03"|"04"|"05",
"answer_timeout", "answer_delay_ms", "file_missing", "sign_cert": "expired" (answers and
notifications signed under a certificate of the signing key whose validity has ended)}. A day's transactions settle on the next
day from 23:00 (--unionpay-cutover-hour). The reconciliation file misreports an order as the
ABC statements do: POST /sim/unionpay/orders/{orderId}/statement {"fault": "omit"|"next_day"|
"amount"|"fee"|"corrupt", "amount_fen", "fee_fen"}; and POST /sim/unionpay/orders {"mer_id",
"order_id", "amount_fen"} books a consume paid by other means, which only the file shows."#;

/// Where the simulator listens unless told: the address `unipay init`'s comments and
/// docs/CONNECT.md give.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7701";

#[derive(Debug, Args)]
#[command(after_help = REGISTERING_MERCHANTS)]
pub struct BanksimArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN)]
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
    /// Also serve China UnionPay's gateway (ACP) on this address, beside the ABC listener.
    #[arg(long)]
    unionpay_listen: Option<String>,
    /// The URL browsers and merchants use to reach the UnionPay listener
    /// (default http://<unionpay listen address>).
    #[arg(long)]
    unionpay_public_url: Option<String>,
    /// UnionPay back-notification retry delays in milliseconds, comma-separated
    /// (default 0,60000,120000,240000).
    #[arg(long, value_delimiter = ',')]
    unionpay_notify_schedule_ms: Option<Vec<u64>>,
    /// The hour (0–23, Beijing time) from which UnionPay transactions settle on the next day
    /// (default 23).
    #[arg(long)]
    unionpay_cutover_hour: Option<u8>,
    /// Keep the UnionPay merchants and book in this file across restarts.
    #[arg(long)]
    unionpay_state_file: Option<PathBuf>,
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
    let unionpay_args = UnionPayArgs {
        key_dir: args.key_dir.as_deref(),
        public_url: args.unionpay_public_url.clone(),
        notify_schedule_ms: args.unionpay_notify_schedule_ms.clone(),
        cutover_hour: args.unionpay_cutover_hour,
        state_file: args.unionpay_state_file.clone(),
    };
    let unionpay = match &args.unionpay_listen {
        Some(listen) => Some(unionpay_mode(listen, unionpay_args).await?),
        None => None,
    };
    println!("banksim listening on http://{address}");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    tokio::spawn(async move {
        super::shutdown_signal().await;
        stop.send_replace(true);
    });
    let abc = unipay_banksim::serve(config, listener, until_stopped());
    match unionpay {
        Some((config, listener)) => {
            let unionpay = unipay_banksim::unionpay::serve(config, listener, until_stopped());
            tokio::try_join!(abc, unionpay).map(|_| ())
        }
        None => abc.await,
    }
}

/// What the UnionPay listener takes from the command line.
struct UnionPayArgs<'a> {
    key_dir: Option<&'a std::path::Path>,
    public_url: Option<String>,
    notify_schedule_ms: Option<Vec<u64>>,
    cutover_hour: Option<u8>,
    state_file: Option<PathBuf>,
}

/// The UnionPay listener and its configuration: its chain from the key directory (made there
/// at first start) or, without one, made for this run only.
async fn unionpay_mode(
    listen: &str,
    args: UnionPayArgs<'_>,
) -> anyhow::Result<(UnionPayConfig, tokio::net::TcpListener)> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let address = listener.local_addr()?;
    let authority = match args.key_dir {
        Some(dir) => Authority::in_dir(dir)?,
        None => Authority::generate()?,
    };
    let public_url = args
        .public_url
        .unwrap_or_else(|| format!("http://{address}"));
    let mut config = UnionPayConfig::new(public_url, authority);
    if let Some(schedule) = args.notify_schedule_ms {
        config.notify_schedule_ms = schedule;
    }
    if let Some(hour) = args.cutover_hour {
        anyhow::ensure!(hour < 24, "--unionpay-cutover-hour is 0 to 23");
        config.cutover_hour = hour;
    }
    config.state_file = args.state_file;
    println!("banksim UnionPay gateway listening on http://{address}");
    Ok((config, listener))
}
