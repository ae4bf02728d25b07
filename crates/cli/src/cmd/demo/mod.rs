//! `unipay demo`: the bank simulators (ABC TrustPay and China UnionPay's gateway), unipay and a
//! small shop in one process, so that a newcomer can watch a payment go the whole way in a
//! browser, through either bank. Data (SQLite, keys) lives under `--data-dir` and is reused by
//! the next run.

mod accounts;
mod banner;
mod console_users;
mod keys;
mod setup;
#[cfg(test)]
mod setup_tests;
mod shop;

use anyhow::Context;
use clap::Args;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use unipay_banksim::SimFileConfig;
use unipay_banksim::unionpay::{Authority, UnionPayConfig};
use unipay_core::SystemClock;
use unipay_server::ServerConfig;

/// The demo's metrics are for whoever runs it; a real server's token is a secret.
const DEMO_METRICS_TOKEN: &str = "demo-metrics";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo keeps its SQLite database and keys (reused by the next run).
    #[arg(long, default_value = "./data")]
    data_dir: PathBuf,
    /// Address unipay (API, cashier, bank callbacks, /metrics) listens on.
    #[arg(long, default_value = "127.0.0.1:7700")]
    unipay_listen: String,
    /// Address the bank simulator (ABC TrustPay) listens on.
    #[arg(long, default_value = "127.0.0.1:7701")]
    bank_listen: String,
    /// Address the demo shop (the business system) listens on.
    #[arg(long, default_value = "127.0.0.1:7702")]
    shop_listen: String,
    /// Address the simulator's China UnionPay gateway listens on.
    #[arg(long, default_value = "127.0.0.1:7703")]
    unionpay_listen: String,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    unipay_server::logging::init("text");

    // Bind first: with port 0 the URLs are only known once the sockets exist, and every part
    // must know the others' URLs before it starts.
    let unipay_listener = bind(&args.unipay_listen, "unipay").await?;
    let bank_listener = bind(&args.bank_listen, "the bank simulator").await?;
    let shop_listener = bind(&args.shop_listen, "the shop").await?;
    let unionpay_listener = bind(&args.unionpay_listen, "the UnionPay gateway simulator").await?;
    let unipay_url = public_url(unipay_listener.local_addr()?);
    let bank_url = public_url(bank_listener.local_addr()?);
    let shop_url = public_url(shop_listener.local_addr()?);
    let unionpay_url = public_url(unionpay_listener.local_addr()?);

    super::owner_only::create_private_dir(&args.data_dir)?;
    let data_dir = std::fs::canonicalize(&args.data_dir)
        .with_context(|| format!("resolving {}", args.data_dir.display()))?;

    // Keys: the merchant's, and the simulated banks' under banksim/ (ABC's key and UnionPay's
    // root -> middle -> signing chain), kept for the next run.
    let merchant = keys::merchant_identity(&data_dir.join("keys"))?;
    let bank_dir = data_dir.join("banksim");
    let mut sim_config = SimFileConfig::default().into_sim_config(&bank_url, Some(&bank_dir))?;
    restrict_to_owner(&bank_dir.join(unipay_banksim::config::KEY_FILE_NAME))?;
    sim_config.merchants.push((
        accounts::ABC_MERCHANT_ID.to_string(),
        merchant.certificate.clone(),
    ));
    let bank_certificate_pem = sim_config.certificate.to_pem();
    let authority = Authority::in_dir(&bank_dir)?;
    restrict_to_owner(&bank_dir.join(unipay_banksim::unionpay::authority::SIGN_KEY_FILE))?;
    let (root_pem, middle_pem) = (authority.root.pem(), authority.middle.pem());
    let mut unionpay_config = UnionPayConfig::new(unionpay_url.clone(), authority);
    unionpay_config.merchants.push((
        accounts::UNIONPAY_MER_ID.to_string(),
        merchant.certificate.to_pem(),
    ));

    let database_url = format!("sqlite://{}", data_dir.join("unipay.db").display());
    let secrets = demo_secrets(&data_dir)?;
    let store = unipay_store::Store::connect(&database_url)
        .await
        .with_context(|| format!("opening {database_url}"))?
        .with_keyring(secrets.require_keyring()?);
    store.migrate().await?;
    let banks = setup::Banks {
        abc_url: &bank_url,
        abc_certificate_pem: &bank_certificate_pem,
        unionpay: accounts::UnionPayBank {
            url: &unionpay_url,
            root_pem: &root_pem,
            middle_pem: &middle_pem,
        },
    };
    let prepared = setup::prepare(&store, &merchant, &banks, &format!("{shop_url}/notify")).await;
    let users = if prepared.is_ok() {
        console_users::ensure(&store, &data_dir).await
    } else {
        Ok(Vec::new())
    };
    store.close().await;
    let demo_app = prepared?;
    let console_users = users?;

    let (stop, stopped) = watch::channel(false);
    let mut bank = tokio::spawn(unipay_banksim::serve(
        sim_config,
        bank_listener,
        wait_for_stop(stopped.clone()),
    ));
    let mut unionpay = tokio::spawn(unipay_banksim::unionpay::serve(
        unionpay_config,
        unionpay_listener,
        wait_for_stop(stopped.clone()),
    ));
    let config = ServerConfig {
        listen: unipay_listener.local_addr()?.to_string(),
        public_url: unipay_url.clone(),
        database_url,
        privacy: demo_privacy(&data_dir)?,
        // The demo shop listens on this machine.
        notify: unipay_server::config::NotifyConfig {
            allow_private_addresses: true,
        },
        http: unipay_server::config::HttpConfig {
            metrics_token: DEMO_METRICS_TOKEN.to_string(),
            ..Default::default()
        },
        secrets,
        ..Default::default()
    };
    let running = match unipay_server::start(config, unipay_listener, Arc::new(SystemClock)).await {
        Ok(running) => running,
        Err(error) => {
            let _ = stop.send(true);
            let _ = bank.await;
            let _ = unionpay.await;
            return Err(error.context("starting unipay"));
        }
    };
    let mut shop = tokio::spawn(shop::serve(
        shop::ShopConfig {
            shop_url: shop_url.clone(),
            unipay_url: unipay_url.clone(),
            bank_url: bank_url.clone(),
            app_id: demo_app.app_id.clone(),
            secret: demo_app.secret.clone(),
        },
        shop_listener,
        wait_for_stop(stopped),
    ));

    banner::print(&banner::Urls {
        shop: &shop_url,
        unipay: &unipay_url,
        bank: &bank_url,
        unionpay: &unionpay_url,
        data_dir: &data_dir,
        app: &demo_app,
        console_users: &console_users,
    });

    // Run until Ctrl-C; a part that ends by itself (it failed) ends the demo too.
    const BANK: &str = "the bank simulator";
    const UNIONPAY: &str = "the UnionPay gateway simulator";
    const SHOP: &str = "the shop";
    let (outcome, finished) = tokio::select! {
        _ = super::shutdown_signal() => (Ok(()), None),
        result = &mut bank => (Err(ended(BANK, result)), Some(BANK)),
        result = &mut unionpay => (Err(ended(UNIONPAY, result)), Some(UNIONPAY)),
        result = &mut shop => (Err(ended(SHOP, result)), Some(SHOP)),
    };
    tracing::info!("demo: shutting down");
    let _ = stop.send(true);
    running.stop().await;
    for (part, task) in [(BANK, bank), (UNIONPAY, unionpay), (SHOP, shop)] {
        // A finished task's handle must not be awaited again.
        if finished != Some(part)
            && let Ok(Err(error)) = task.await
        {
            tracing::warn!(error = %format!("{error:#}"), "{part} stopped with an error");
        }
    }
    if outcome.is_ok() {
        println!("demo stopped");
    }
    outcome
}

/// The simulator writes its key with the default permissions; it is a private key all the same.
fn restrict_to_owner(path: &std::path::Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("restricting {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

async fn bind(address: &str, what: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(address)
        .await
        .with_context(|| format!("listening on {address} for {what}"))
}

/// `http://<address>`; an address bound to every interface is shown as loopback, which a
/// browser on this machine can open.
fn public_url(address: SocketAddr) -> String {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, address.port()))
}

async fn wait_for_stop(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone, which also means stop.
    let _ = stopped.wait_for(|stop| *stop).await;
}

fn ended(what: &str, result: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Error {
    match result {
        Ok(Ok(())) => anyhow::anyhow!("{what} stopped unexpectedly"),
        Ok(Err(error)) => error.context(format!("{what} failed")),
        Err(error) => anyhow::anyhow!("{what} crashed: {error}"),
    }
}

/// The demo's personal-data key, made on its first run and kept with its database, so the
/// data it hashed stays recognisable across runs.
fn demo_privacy(
    data_dir: &std::path::Path,
) -> anyhow::Result<unipay_server::config::PrivacyConfig> {
    let path = data_dir.join("pii.key");
    if !path.exists() {
        super::owner_only::write_private(
            &path,
            unipay_core::pii::PiiKey::generate_hex().as_bytes(),
        )?;
    }
    Ok(unipay_server::config::PrivacyConfig {
        hmac_key: String::new(),
        hmac_key_file: path.display().to_string(),
    })
}

/// The demo's key-encryption key, made on its first run and kept with its database (owner-only),
/// so the secrets it sealed open on the next run.
fn demo_secrets(
    data_dir: &std::path::Path,
) -> anyhow::Result<unipay_server::config::SecretsConfig> {
    let path = data_dir.join("secrets.kek");
    if !path.exists() {
        super::owner_only::write_private(
            &path,
            unipay_core::secrets::Kek::generate_hex().as_bytes(),
        )?;
    }
    Ok(unipay_server::config::SecretsConfig {
        kek_file: path.display().to_string(),
        previous_kek_files: Vec::new(),
    })
}
