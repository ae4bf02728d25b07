//! The demo's data: the merchant's key on disk and the merchant, channel account and app in the
//! database, created on the first run and reused (or repaired) on the next ones.

use super::super::admin::KeyPaths;
use super::super::owner_only::{create_private_dir, write_private};
use anyhow::{Context, bail};
use sha2::{Digest, Sha256};
use std::path::Path;
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
use unipay_core::ids::random_token;
use unipay_store::Store;
use unipay_store::merchants::{App, ChannelAccount, Merchant};

pub const MERCHANT_ID: &str = "mch_demo";
pub const CHANNEL_ACCOUNT_ID: &str = "cha_demo";
pub const APP_ID: &str = "app_demo";
/// The merchant's number at the (simulated) bank.
pub const BANK_MERCHANT_ID: &str = "103881234560010";
const KEY_BITS: usize = 2048;

/// The merchant's key and the certificate the bank verifies its requests with.
pub struct MerchantIdentity {
    pub key: PrivateKey,
    pub certificate: Certificate,
}

/// Loads the merchant key from `dir`, or generates it there on the first run (or when the pair
/// on disk is unreadable or does not belong together).
pub fn merchant_identity(dir: &Path) -> anyhow::Result<MerchantIdentity> {
    let paths = KeyPaths::new(dir, "merchant");
    if paths.key_pem.exists() && paths.certificate_pem.exists() {
        match load_identity(&paths) {
            Ok(identity) => return Ok(identity),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), dir = %dir.display(),
                    "the demo merchant key cannot be used; generating a new one");
            }
        }
    }
    create_private_dir(dir)?;
    let key = PrivateKey::generate(KEY_BITS).context("generating the merchant key")?;
    let certificate = key
        .self_signed_certificate("unipay demo merchant", 3650)
        .context("making the merchant certificate")?;
    write_private(&paths.key_pem, key.to_pkcs8_pem()?.as_bytes())?;
    write_private(&paths.certificate_der, certificate.to_der())?;
    write_private(&paths.certificate_pem, certificate.to_pem().as_bytes())?;
    Ok(MerchantIdentity { key, certificate })
}

fn load_identity(paths: &KeyPaths) -> anyhow::Result<MerchantIdentity> {
    let key = PrivateKey::from_pem(&std::fs::read_to_string(&paths.key_pem)?)?;
    let certificate = Certificate::from_der_or_pem(&std::fs::read(&paths.certificate_pem)?)?;
    // A certificate from another key would make the bank reject every request, so prove the
    // pair belongs together before trusting it.
    let probe = b"unipay demo key check";
    let signature = key.sign(SignatureAlgorithm::Sha256WithRsa, probe);
    certificate
        .verify(SignatureAlgorithm::Sha256WithRsa, probe, &signature)
        .context("the certificate is not the key's")?;
    Ok(MerchantIdentity { key, certificate })
}

/// What the shop needs to talk to unipay.
pub struct DemoApp {
    pub app_id: String,
    pub secret: String,
    pub channel_account_id: String,
}

/// Creates (or finds) the merchant, its channel account at the simulator and the shop's app.
pub async fn prepare(
    store: &Store,
    merchant: &MerchantIdentity,
    bank_url: &str,
    bank_certificate_pem: &str,
    notify_url: &str,
) -> anyhow::Result<DemoApp> {
    let now = chrono::Utc::now().timestamp_millis();
    if store.get_merchant(MERCHANT_ID).await?.is_none() {
        store
            .insert_merchant(&Merchant {
                id: MERCHANT_ID.into(),
                name: "演示学校 Demo school".into(),
                created_at: now,
            })
            .await?;
    }

    let wanted = ChannelAccount {
        id: CHANNEL_ACCOUNT_ID.into(),
        merchant_id: MERCHANT_ID.into(),
        channel: "abc".into(),
        bank_merchant_id: BANK_MERCHANT_ID.into(),
        private_key_pem: merchant.key.to_pkcs8_pem()?,
        bank_certificate_pem: bank_certificate_pem.to_string(),
        signature_algorithm: SignatureAlgorithm::Sha1WithRsa.as_str().into(),
        trx_url: format!("{bank_url}{}", unipay_banksim::TRANSACTION_PATH),
        payment_types: "A,1,3,6".into(),
        notify_type: "server".into(),
        cutover_hour: 23,
        bank_fee_bps: 0,
        created_at: now,
    };
    // The store has no way to change a channel account, and payments already made through one
    // must keep the keys and bank they were signed for. So when the bank moved (other ports) or
    // a key changed, the demo opens another account, named after what it points at, with its
    // own app: going back to the earlier ports finds the earlier account again.
    let (account_id, app_id) = match store.get_channel_account(CHANNEL_ACCOUNT_ID).await? {
        None => {
            insert_account(store, &wanted).await?;
            (CHANNEL_ACCOUNT_ID.to_string(), APP_ID.to_string())
        }
        Some(existing) if same_bank(&existing, &wanted) => {
            (CHANNEL_ACCOUNT_ID.to_string(), APP_ID.to_string())
        }
        Some(_) => {
            let suffix = fingerprint(&wanted);
            let account = ChannelAccount {
                id: format!("{CHANNEL_ACCOUNT_ID}_{suffix}"),
                ..wanted.clone()
            };
            match store.get_channel_account(&account.id).await? {
                None => insert_account(store, &account).await?,
                Some(existing) if same_bank(&existing, &account) => {}
                Some(_) => bail!(
                    "channel account {} exists but does not match; remove the data directory",
                    account.id
                ),
            }
            (account.id, format!("{APP_ID}_{suffix}"))
        }
    };

    let app = match store.get_app(&app_id).await? {
        Some(app) => app,
        None => {
            store
                .insert_app(&App {
                    id: app_id.clone(),
                    merchant_id: MERCHANT_ID.into(),
                    name: "演示商店 Demo shop".into(),
                    secret: random_token(40),
                    notify_url: Some(notify_url.to_string()),
                    channel_account_id: Some(account_id.clone()),
                    status: "active".into(),
                    created_at: now,
                })
                .await?;
            // Read back what was stored rather than trusting the local copy.
            store
                .get_app(&app_id)
                .await?
                .with_context(|| format!("app {app_id} vanished after it was created"))?
        }
    };
    if app.channel_account_id.as_deref() != Some(account_id.as_str()) {
        bail!(
            "app {app_id} uses channel account {:?}, not {account_id}; remove the data directory",
            app.channel_account_id
        );
    }
    if !app.is_active() {
        bail!("app {app_id} is {}; remove the data directory", app.status);
    }
    // The shop's port may differ from the last run.
    if app.notify_url.as_deref() != Some(notify_url) {
        store.set_app_notify_url(&app_id, Some(notify_url)).await?;
    }
    Ok(DemoApp {
        app_id,
        secret: app.secret,
        channel_account_id: account_id,
    })
}

async fn insert_account(store: &Store, account: &ChannelAccount) -> anyhow::Result<()> {
    // Refuse an account the server could not use, before storing it.
    unipay_server::channels::build_channel(account)?;
    store.insert_channel_account(account).await?;
    Ok(())
}

/// Whether a stored account reaches the same bank, with the same keys, as the wanted one.
fn same_bank(stored: &ChannelAccount, wanted: &ChannelAccount) -> bool {
    stored.merchant_id == wanted.merchant_id
        && stored.channel == wanted.channel
        && stored.bank_merchant_id == wanted.bank_merchant_id
        && stored.trx_url == wanted.trx_url
        && stored.bank_certificate_pem == wanted.bank_certificate_pem
        && stored.private_key_pem == wanted.private_key_pem
}

/// 12 hex characters naming the bank URL and keys an account is for.
fn fingerprint(account: &ChannelAccount) -> String {
    let mut hash = Sha256::new();
    for part in [
        &account.trx_url,
        &account.bank_certificate_pem,
        &account.private_key_pem,
    ] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    hex::encode(hash.finalize())[..12].to_string()
}
