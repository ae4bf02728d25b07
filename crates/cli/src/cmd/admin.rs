//! Administration commands. With `--json` each prints one JSON object for scripts; otherwise
//! lines for people. Secrets are printed once, at creation, and never again.

use super::DatabaseArgs;
use super::owner_only::{create_private_dir, write_private};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use unipay_channel_abc::crypto::PrivateKey;
use unipay_core::ids::random_token;
use unipay_server::flows::{
    self,
    admin::{KeySource, NewApp, NewChannelAccount, unionpay_account as unionpay},
};

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a merchant (the party money settles to).
    CreateMerchant {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        name: String,
        /// Use this id instead of a generated one.
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Create an app (a business system); prints its app_id and secret once.
    CreateApp {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        merchant: String,
        #[arg(long)]
        name: String,
        /// Default notification URL for the app's payments.
        #[arg(long)]
        notify_url: Option<String>,
        /// The one channel account its payments use, which must be its merchant's (default:
        /// each of the merchant's; with several, a payment that names no bank lets the
        /// consumer choose at the cashier).
        #[arg(long)]
        channel_account: Option<String>,
        #[arg(long)]
        id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Route an app's payments to one channel account, or to each of its merchant's (the
    /// consumer then chooses the bank at the cashier when a payment names no channel).
    RouteApp {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        app: String,
        /// The one channel account its payments use.
        #[arg(
            long,
            required_unless_present = "all_accounts",
            conflicts_with = "all_accounts"
        )]
        channel_account: Option<String>,
        /// Each of the merchant's channel accounts.
        #[arg(long)]
        all_accounts: bool,
        #[arg(long)]
        json: bool,
    },
    /// Add an ABC TrustPay channel account: the merchant's key and the bank's certificate.
    AddChannelAccount(Box<AddChannelAccountArgs>),
    /// Generate an RSA key and a self-signed certificate (for tests, the demo and the simulator).
    GenKeys(GenKeysArgs),
    /// Put a business notification back in the queue (e.g. a dead letter), same event id.
    ResendEvent {
        #[command(flatten)]
        db: DatabaseArgs,
        event_id: String,
        #[arg(long)]
        json: bool,
    },
    /// Create a console user; the password is read from standard input (one line).
    CreateUser {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        username: String,
        /// admin, operator, finance or auditor.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// Disable a console user and end their sessions.
    DisableUser {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        username: String,
        #[arg(long)]
        json: bool,
    },
    /// Re-seal every stored secret under the current KEK (`[secrets] kek_file`), reading
    /// older ones with `previous_kek_files`; safe to run while nodes serve, and to run again.
    RotateKek {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        json: bool,
    },
    /// List anomalies (late successes) for operators.
    ListAnomalies {
        #[command(flatten)]
        db: DatabaseArgs,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddChannelAccountArgs {
    #[command(flatten)]
    db: DatabaseArgs,
    #[arg(long)]
    merchant: String,
    /// The bank: abc (ABC TrustPay) or unionpay (China UnionPay's online gateway).
    #[arg(long, default_value = "abc")]
    bank: String,
    /// The bank's MerchantID for this account (ABC)...
    #[arg(long, required_unless_present = "mer_id", conflicts_with = "mer_id")]
    bank_merchant_id: Option<String>,
    /// ...or UnionPay's merId (15 digits).
    #[arg(long)]
    mer_id: Option<String>,
    /// The merchant's key as PKCS#12 (.pfx) from the bank...
    #[arg(long, conflicts_with = "key_pem")]
    key_pfx: Option<PathBuf>,
    /// ...with its password read from this file...
    #[arg(long)]
    key_password_file: Option<PathBuf>,
    /// ...or as PEM (PKCS#8 or PKCS#1; ABC).
    #[arg(long)]
    key_pem: Option<PathBuf>,
    /// UnionPay: the signing certificate's .pfx (acp_*_sign.pfx; password in --key-password-file)...
    #[arg(long, conflicts_with_all = ["key_pfx", "key_pem", "secure_key_file"])]
    sign_pfx: Option<PathBuf>,
    /// ...or the secure key (signMethod 11/12), read from this file...
    #[arg(long, conflicts_with_all = ["key_pfx", "key_pem"])]
    secure_key_file: Option<PathBuf>,
    /// ...or the SM2 signing key (signMethod 21): one PEM file holding the PKCS#8 PRIVATE KEY
    /// and its CERTIFICATE; with the SM2 root and middle certificates.
    #[arg(long, conflicts_with_all = ["key_pfx", "key_pem", "sign_pfx", "secure_key_file"])]
    sm2_key: Option<PathBuf>,
    /// The bank's certificate (TrustPay.cer; UnionPay 5.0.0: its verification certificate), DER or PEM.
    #[arg(long)]
    bank_certificate: Option<PathBuf>,
    /// UnionPay 5.1.0: the root certificate the bank's signPubKeyCert chains to (PEM; the SM2
    /// root for signMethod 21)...
    #[arg(long, requires = "middle_certificate")]
    root_certificate: Option<PathBuf>,
    /// ...and the middle certificate (PEM).
    #[arg(long, requires = "root_certificate")]
    middle_certificate: Option<PathBuf>,
    /// The bank's transaction URL (ABC: …/ebus/trustpay/ReceiveMerchantTrxReqServlet;
    /// UnionPay: the gateway's base address, https://gateway.95516.com).
    #[arg(long)]
    trx_url: String,
    /// ABC: SHA1withRSA or SHA256withRSA. UnionPay: rsa-sha256 (01, 5.1.0), rsa-sha1
    /// (01, 5.0.0), key-sha256 (11), key-sm3 (12) or sm2 (21, 5.1.0); default rsa-sha256,
    /// key-sha256 with a secure key, sm2 with an SM2 key.
    #[arg(long)]
    algorithm: Option<String>,
    /// UnionPay: the bank's certificates may carry the test environment's CN (…@00040000:SIGN@…).
    #[arg(long)]
    accept_test_cn: bool,
    /// Payment types offered at the cashier. ABC: 1 ABC debit, 3 credit, 6 UnionPay,
    /// 7 corporate, A all (default A,1,3,6). UnionPay: channelType 07 desktop, 08 mobile
    /// (default 07).
    #[arg(long)]
    payment_types: Option<String>,
    /// How the bank delivers results: server or page.
    #[arg(long, default_value = "server")]
    notify_type: String,
    /// Hour (UTC+8) at which the bank's accounting day cuts over.
    #[arg(long, default_value_t = 23)]
    cutover_hour: u8,
    /// What the bank charges per payment, in basis points (reconciliation expects it).
    #[arg(long, default_value_t = 0)]
    bank_fee_bps: u32,
    #[arg(long)]
    id: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct GenKeysArgs {
    /// Directory to write NAME-key.pem, NAME.cer (DER), NAME.pem and NAME.pfx (+ NAME.pfx.password).
    #[arg(long)]
    out_dir: PathBuf,
    #[arg(long, default_value = "merchant")]
    name: String,
    #[arg(long, default_value_t = 2048)]
    bits: usize,
    /// The certificate's common name.
    #[arg(long, default_value = "unipay merchant")]
    common_name: String,
    #[arg(long, default_value_t = 3650)]
    days: u32,
    #[arg(long)]
    json: bool,
}

pub async fn run(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateMerchant { db, name, id, json } => {
            let store = db.store().await?;
            let now = chrono::Utc::now().timestamp_millis();
            let merchant = flows::admin::create_merchant(&store, &name, id, now).await?;
            print(
                json,
                json!({"merchant_id": merchant.id, "name": merchant.name}),
                || format!("merchant_id: {}", merchant.id),
            );
        }
        AdminCommand::CreateApp {
            db,
            merchant,
            name,
            notify_url,
            channel_account,
            id,
            json,
        } => {
            let store = db.store().await?;
            let now = chrono::Utc::now().timestamp_millis();
            let settings = unipay_server::ServerConfig::load(db.config.as_deref())?;
            let new = NewApp {
                merchant_id: merchant,
                name,
                notify_url,
                channel_account_id: channel_account,
                id,
                allow_private_addresses: settings.notify.allow_private_addresses,
            };
            let app = flows::admin::create_app(&store, new, now).await?;
            print(
                json,
                json!({"app_id": app.id, "secret": app.secret, "merchant_id": app.merchant_id}),
                || {
                    format!(
                        "app_id: {}\nsecret: {}\n(the secret is shown only now: keep it)",
                        app.id, app.secret
                    )
                },
            );
        }
        AdminCommand::RouteApp {
            db,
            app,
            channel_account,
            all_accounts: _,
            json,
        } => {
            let store = db.store().await?;
            flows::admin::route_app(&store, &app, channel_account.as_deref()).await?;
            let route = channel_account.as_deref().unwrap_or("all");
            print(
                json,
                json!({"app_id": app, "channel_account_id": channel_account}),
                || format!("app {app}: channel accounts {route}"),
            );
        }
        AdminCommand::AddChannelAccount(args) => add_channel_account(*args).await?,
        AdminCommand::GenKeys(args) => gen_keys(args)?,
        AdminCommand::ResendEvent { db, event_id, json } => {
            let store = db.store().await?;
            let now = chrono::Utc::now().timestamp_millis();
            if !store.resend_event(&event_id, now).await? {
                bail!("no event {event_id}");
            }
            print(
                json,
                json!({"event_id": event_id, "status": "pending"}),
                || format!("event {event_id} queued for delivery"),
            );
        }
        AdminCommand::CreateUser {
            db,
            username,
            role,
            password_stdin: _,
            json,
        } => super::console_users::create(db, &username, &role, json).await?,
        AdminCommand::DisableUser { db, username, json } => {
            super::console_users::disable(db, &username, json).await?
        }
        AdminCommand::RotateKek { db, json } => super::rotate_kek::run(db, json).await?,
        AdminCommand::ListAnomalies { db, json } => {
            let store = db.store().await?;
            let anomalies = store.list_anomalies().await?;
            if json {
                let rows: Vec<_> = anomalies
                    .iter()
                    .map(|a| {
                        json!({"id": a.id, "kind": a.kind, "payment_id": a.payment_id, "detail": a.detail,
                               "created_at": unipay_core::clock::rfc3339(a.created_at)})
                    })
                    .collect();
                println!("{}", json!({ "anomalies": rows }));
            } else if anomalies.is_empty() {
                println!("no anomalies");
            } else {
                let rows: Vec<Vec<String>> = anomalies
                    .into_iter()
                    .map(|a| vec![a.id, a.kind, a.payment_id, a.detail])
                    .collect();
                print!(
                    "{}",
                    super::table::render(&["id", "kind", "payment_id", "detail"], &rows)
                );
            }
        }
    }
    Ok(())
}

async fn add_channel_account(args: AddChannelAccountArgs) -> anyhow::Result<()> {
    if args.bank == "unionpay" {
        return add_unionpay_account(args).await;
    }
    let Some(bank_merchant_id) = args.bank_merchant_id.clone() else {
        bail!("give the bank's MerchantID with --bank-merchant-id");
    };
    let Some(bank_certificate) = args.bank_certificate.clone() else {
        bail!("give the bank's certificate with --bank-certificate");
    };
    let pfx = match &args.key_pfx {
        Some(path) => {
            Some(std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        }
        None => None,
    };
    let password = match &args.key_password_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        None => String::new(),
    };
    let pem = match &args.key_pem {
        Some(path) => Some(
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?,
        ),
        None => None,
    };
    let key = match (&pfx, &pem) {
        (Some(der), None) => KeySource::Pkcs12 {
            der,
            password: &password,
        },
        (None, Some(text)) => KeySource::Pem(text),
        _ => bail!("give the merchant key with --key-pfx (and --key-password-file) or --key-pem"),
    };
    let certificate = read(&bank_certificate)?;
    let store = args.db.store().await?;
    let now = chrono::Utc::now().timestamp_millis();
    let added = flows::admin::add_channel_account(
        &store,
        NewChannelAccount {
            channel: &args.bank,
            merchant_id: &args.merchant,
            bank_merchant_id: &bank_merchant_id,
            key,
            bank_certificate: &certificate,
            trx_url: &args.trx_url,
            algorithm: args.algorithm.as_deref().unwrap_or("SHA1withRSA"),
            payment_types: args.payment_types.as_deref().unwrap_or("A,1,3,6"),
            notify_type: &args.notify_type,
            cutover_hour: args.cutover_hour,
            bank_fee_bps: args.bank_fee_bps,
            id: args.id,
        },
        now,
    )
    .await?;
    print_added(args.json, &added);
    Ok(())
}

fn read(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// A UnionPay account: merId, the signing .pfx, the secure key or the SM2 key, and what the
/// bank's messages are checked with (root and middle for 5.1.0, the bank's certificate for
/// 5.0.0).
async fn add_unionpay_account(args: AddChannelAccountArgs) -> anyhow::Result<()> {
    let Some(mer_id) = args.mer_id.as_deref() else {
        bail!("give UnionPay's merId with --mer-id");
    };
    let password = match &args.key_password_file {
        Some(path) => String::from_utf8(read(path)?)
            .context("the password file is not UTF-8")?
            .trim_end_matches(['\r', '\n'])
            .to_string(),
        None => String::new(),
    };
    let pfx = args.sign_pfx.as_deref().map(read).transpose()?;
    let secure_key = match &args.secure_key_file {
        Some(path) => Some(String::from_utf8(read(path)?).context("the secure key is not text")?),
        None => None,
    };
    let sm2_key = match &args.sm2_key {
        Some(path) => Some(String::from_utf8(read(path)?).context("the SM2 key is not PEM text")?),
        None => None,
    };
    let key = match (&pfx, &secure_key, &sm2_key) {
        (Some(der), None, None) => KeySource::Pkcs12 {
            der,
            password: &password,
        },
        (None, Some(text), None) => KeySource::SecureKey(text.trim()),
        (None, None, Some(text)) => KeySource::Pem(text),
        _ => bail!(
            "give the signing key with --sign-pfx (and --key-password-file), --secure-key-file or --sm2-key"
        ),
    };
    let mut certificates = Vec::new();
    for path in [
        &args.root_certificate,
        &args.middle_certificate,
        &args.bank_certificate,
    ]
    .into_iter()
    .flatten()
    {
        certificates.push(read(path)?);
    }
    let certificates = unionpay::joined_certificates(certificates.iter().map(Vec::as_slice));
    let profile = args
        .algorithm
        .as_deref()
        .unwrap_or_else(|| unionpay::default_profile(&key));
    let algorithm = unionpay::stored_algorithm(profile, args.accept_test_cn);
    let store = args.db.store().await?;
    let now = chrono::Utc::now().timestamp_millis();
    let added = flows::admin::add_channel_account(
        &store,
        NewChannelAccount {
            channel: "unionpay",
            merchant_id: &args.merchant,
            bank_merchant_id: mer_id,
            key,
            bank_certificate: &certificates,
            trx_url: &args.trx_url,
            algorithm: &algorithm,
            payment_types: args
                .payment_types
                .as_deref()
                .unwrap_or(unionpay::DEFAULT_CHANNEL_TYPES),
            // UnionPay sends both notifications.
            notify_type: "server",
            cutover_hour: unionpay::CUTOVER_HOUR,
            bank_fee_bps: args.bank_fee_bps,
            id: args.id.clone(),
        },
        now,
    )
    .await?;
    print_added(args.json, &added);
    Ok(())
}

fn print_added(as_json: bool, added: &flows::admin::AddedChannelAccount) {
    print(
        as_json,
        json!({"channel_account_id": added.id, "bank_merchant_id": added.bank_merchant_id,
               "bank_certificate_subject": added.certificate_subject,
               "bank_certificate_sha256": added.certificate_sha256,
               "key_sha256": added.key_sha256}),
        || {
            format!(
                "channel_account_id: {}\nbank certificate: {} (sha256 {})",
                added.id, added.certificate_subject, added.certificate_sha256
            )
        },
    );
}

fn gen_keys(args: GenKeysArgs) -> anyhow::Result<()> {
    create_private_dir(&args.out_dir)?;
    let key = PrivateKey::generate(args.bits)?;
    let certificate = key.self_signed_certificate(&args.common_name, args.days)?;
    let password = random_token(24);
    let paths = KeyPaths::new(&args.out_dir, &args.name);
    write_private(&paths.key_pem, key.to_pkcs8_pem()?.as_bytes())?;
    write_private(&paths.certificate_der, certificate.to_der())?;
    write_private(&paths.certificate_pem, certificate.to_pem().as_bytes())?;
    write_private(&paths.pfx, &key.to_pkcs12(&certificate, &password)?)?;
    write_private(&paths.pfx_password, password.as_bytes())?;
    print(
        args.json,
        json!({
            "key_pem": paths.key_pem, "certificate_der": paths.certificate_der,
            "certificate_pem": paths.certificate_pem, "pfx": paths.pfx, "pfx_password_file": paths.pfx_password,
            "subject": certificate.subject(), "sha256": certificate.fingerprint_sha256(),
        }),
        || {
            format!(
                "key: {}\ncertificate: {} (DER), {} (PEM)\npfx: {} (password in {})",
                paths.key_pem.display(),
                paths.certificate_der.display(),
                paths.certificate_pem.display(),
                paths.pfx.display(),
                paths.pfx_password.display()
            )
        },
    );
    Ok(())
}

pub struct KeyPaths {
    pub key_pem: PathBuf,
    pub certificate_der: PathBuf,
    pub certificate_pem: PathBuf,
    pub pfx: PathBuf,
    pub pfx_password: PathBuf,
}

impl KeyPaths {
    pub fn new(dir: &std::path::Path, name: &str) -> KeyPaths {
        KeyPaths {
            key_pem: dir.join(format!("{name}-key.pem")),
            certificate_der: dir.join(format!("{name}.cer")),
            certificate_pem: dir.join(format!("{name}.pem")),
            pfx: dir.join(format!("{name}.pfx")),
            pfx_password: dir.join(format!("{name}.pfx.password")),
        }
    }
}

pub(super) fn print(json: bool, value: serde_json::Value, text: impl FnOnce() -> String) {
    if json {
        println!("{value}");
    } else {
        println!("{}", text());
    }
}
