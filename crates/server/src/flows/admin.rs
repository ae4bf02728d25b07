//! Administration shared by the command line (`unipay admin`) and the console: merchants, apps
//! and their secrets, channel accounts with their keys. Secrets are handed back once, at
//! creation or rotation, and never shown again; keys are shown only as fingerprints.

use crate::channels::{self, Credentials, build_channel};
use crate::state::AppState;
use unipay_core::destination;
use unipay_core::http_url::HttpUrl;
use unipay_core::ids::{new_id, random_token};
use unipay_store::audit::AuditEntry;
use unipay_store::merchants::{App, ChannelAccount, Merchant};
use unipay_store::{Store, StoreError};

/// An app secret's length: 40 random characters.
const SECRET_LEN: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no merchant {0}")]
    NoMerchant(String),
    #[error("no app {0}")]
    NoApp(String),
    #[error("{0}")]
    Invalid(String),
}

/// Routes an app's payments to one of its merchant's channel accounts, or (`None`) to each of
/// them: a payment that names no channel then lets the consumer choose the bank at the
/// cashier. Payments already made keep their account. Each node reads the route again within
/// seconds (its cache of routes expires).
pub async fn route_app(
    store: &Store,
    app_id: &str,
    channel_account_id: Option<&str>,
) -> Result<(), AdminError> {
    let app = store
        .get_app(app_id)
        .await?
        .ok_or_else(|| AdminError::NoApp(app_id.to_string()))?;
    if let Some(id) = channel_account_id {
        check_account_of(store, id, &app.merchant_id).await?;
    }
    if !store
        .set_app_channel_account(app_id, channel_account_id)
        .await?
    {
        return Err(AdminError::NoApp(app_id.to_string()));
    }
    Ok(())
}

/// An app may route only to its own merchant's channel accounts: another merchant's would
/// collect its money into someone else's books.
async fn check_account_of(
    store: &Store,
    channel_account_id: &str,
    merchant_id: &str,
) -> Result<(), AdminError> {
    let account = store.get_channel_account(channel_account_id).await?;
    if account.is_none_or(|account| account.merchant_id != merchant_id) {
        return Err(AdminError::Invalid(format!(
            "channel account {channel_account_id} is not one of merchant {merchant_id}'s"
        )));
    }
    Ok(())
}

pub async fn create_merchant(
    store: &Store,
    name: &str,
    id: Option<String>,
    now_ms: i64,
) -> Result<Merchant, AdminError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AdminError::Invalid("a merchant needs a name".into()));
    }
    let merchant = Merchant {
        id: id.unwrap_or_else(|| new_id("mch", now_ms)),
        name: name.to_string(),
        created_at: now_ms,
    };
    store.insert_merchant(&merchant).await?;
    Ok(merchant)
}

/// What a new app needs; its secret is made here.
#[derive(Debug, Clone, Default)]
pub struct NewApp {
    pub merchant_id: String,
    pub name: String,
    pub notify_url: Option<String>,
    /// The channel account its payments use (default: the merchant's first).
    pub channel_account_id: Option<String>,
    pub id: Option<String>,
    /// Whether `notify_url` may lead to an internal address (`[notify]
    /// allow_private_addresses`).
    pub allow_private_addresses: bool,
}

/// Creates an app; the returned app holds its secret, to be shown this once.
pub async fn create_app(store: &Store, new: NewApp, now_ms: i64) -> Result<App, AdminError> {
    if new.name.trim().is_empty() {
        return Err(AdminError::Invalid("an app needs a name".into()));
    }
    let notify_url = new.notify_url.filter(|url| !url.trim().is_empty());
    if let Some(url) = &notify_url {
        check_notify_url(url, new.allow_private_addresses)?;
    }
    if store.get_merchant(&new.merchant_id).await?.is_none() {
        return Err(AdminError::NoMerchant(new.merchant_id));
    }
    let channel_account_id = new.channel_account_id.filter(|id| !id.trim().is_empty());
    if let Some(id) = &channel_account_id {
        check_account_of(store, id, &new.merchant_id).await?;
    }
    let app = App {
        id: new.id.unwrap_or_else(|| new_id("app", now_ms)),
        merchant_id: new.merchant_id,
        name: new.name.trim().to_string(),
        secret: random_token(SECRET_LEN),
        notify_url,
        channel_account_id,
        status: "active".into(),
        created_at: now_ms,
    };
    store.insert_app(&app).await?;
    Ok(app)
}

/// The rules of the API's `notify_url` for an app's default one: an absolute http(s) URL, and
/// not an internal address unless allowed.
fn check_notify_url(url: &str, allow_private_addresses: bool) -> Result<(), AdminError> {
    let url = HttpUrl::parse(url).map_err(|e| AdminError::Invalid(format!("notify_url {e}")))?;
    if !allow_private_addresses {
        destination::check_url(&url).map_err(|e| AdminError::Invalid(format!("notify_url {e}")))?;
    }
    Ok(())
}

/// Gives an app a new secret (returned, to be shown once); the old one stops working at once
/// on this node and within the app cache's lifetime on the others.
pub async fn rotate_app_secret(
    state: &AppState,
    app_id: &str,
    audit: &AuditEntry<'_>,
) -> Result<String, AdminError> {
    let secret = random_token(SECRET_LEN);
    if !state
        .store
        .rotate_app_secret(app_id, &secret, audit)
        .await?
    {
        return Err(AdminError::NoApp(app_id.to_string()));
    }
    state.apps.forget(app_id);
    Ok(secret)
}

/// Disables an app: its requests are refused from now on (same cache rule as a rotation).
pub async fn disable_app(
    state: &AppState,
    app_id: &str,
    audit: &AuditEntry<'_>,
) -> Result<(), AdminError> {
    if !state
        .store
        .set_app_status(app_id, "disabled", audit)
        .await?
    {
        return Err(AdminError::NoApp(app_id.to_string()));
    }
    state.apps.forget(app_id);
    Ok(())
}

pub use crate::channels::KeySource;

/// What a UnionPay account takes where its adder leaves a setting out (the command line and
/// the console add accounts alike).
pub mod unionpay_account {
    pub use crate::channels::unionpay::{
        CUTOVER_HOUR, DEFAULT_CHANNEL_TYPES, default_profile, joined_certificates, stored_algorithm,
    };
}

/// A channel account to add, at any bank of [`channels::BANKS`].
pub struct NewChannelAccount<'a> {
    /// The bank: one of [`channels::BANKS`] (`abc`, `unionpay`).
    pub channel: &'a str,
    pub merchant_id: &'a str,
    pub bank_merchant_id: &'a str,
    pub key: KeySource<'a>,
    /// The bank's certificate (TrustPay.cer), DER or PEM.
    pub bank_certificate: &'a [u8],
    pub trx_url: &'a str,
    pub algorithm: &'a str,
    pub payment_types: &'a str,
    pub notify_type: &'a str,
    pub cutover_hour: u8,
    pub bank_fee_bps: u32,
    pub id: Option<String>,
}

/// What was added, as administration may show it: fingerprints, never the key.
#[derive(Debug, Clone)]
pub struct AddedChannelAccount {
    pub id: String,
    pub bank_merchant_id: String,
    pub certificate_subject: String,
    pub certificate_sha256: String,
    pub key_sha256: String,
}

/// The bank's address: https, for what goes there is signed but not secret, and what comes
/// back must come from the bank; plain http only to a simulator on this machine.
fn check_trx_url(trx_url: &str) -> Result<(), AdminError> {
    let url = HttpUrl::parse(trx_url).map_err(|e| AdminError::Invalid(format!("trx_url {e}")))?;
    if url.as_str().starts_with("https://") || destination::is_loopback(&url) {
        Ok(())
    } else {
        Err(AdminError::Invalid(
            "trx_url must be https (plain http only to 127.0.0.1 or localhost)".into(),
        ))
    }
}

/// Adds a channel account. The key is read (a .pfx's password-based key derivation is slow on
/// purpose) and the account checked on a blocking thread, never on the async workers; the
/// password is used for reading only and kept nowhere, the key is kept sealed by the store.
pub async fn add_channel_account(
    store: &Store,
    new: NewChannelAccount<'_>,
    now_ms: i64,
) -> Result<AddedChannelAccount, AdminError> {
    if !channels::BANKS.contains(&new.channel) {
        return Err(AdminError::Invalid(format!(
            "bank {:?} is not one of {}",
            new.channel,
            channels::BANKS.join(", ")
        )));
    }
    check_trx_url(new.trx_url)?;
    let credentials = read_credentials_off_runtime(&new).await?;
    if store.get_merchant(new.merchant_id).await?.is_none() {
        return Err(AdminError::NoMerchant(new.merchant_id.to_string()));
    }
    let account = ChannelAccount {
        id: new.id.unwrap_or_else(|| new_id("cha", now_ms)),
        merchant_id: new.merchant_id.to_string(),
        channel: new.channel.to_string(),
        bank_merchant_id: new.bank_merchant_id.to_string(),
        private_key_pem: credentials.private_key_pem,
        bank_certificate_pem: credentials.bank_certificate_pem,
        signature_algorithm: new.algorithm.to_string(),
        trx_url: new.trx_url.to_string(),
        payment_types: new.payment_types.to_string(),
        notify_type: new.notify_type.to_string(),
        cutover_hour: i64::from(new.cutover_hour),
        bank_fee_bps: i64::from(new.bank_fee_bps),
        created_at: now_ms,
    };
    // Refuse an account the server could not use, before storing it.
    let account = off_runtime(move || {
        build_channel(&account)
            .map(|_| account)
            .map_err(|e| invalid("the account", &e))
    })
    .await?;
    store.insert_channel_account(&account).await?;
    Ok(AddedChannelAccount {
        id: account.id,
        bank_merchant_id: account.bank_merchant_id,
        certificate_subject: credentials.fingerprints.certificate_subject,
        certificate_sha256: credentials.fingerprints.certificate_sha256,
        key_sha256: credentials.fingerprints.key_sha256,
    })
}

/// The uploaded key and bank certificate, read, and the algorithm named: what can be checked
/// of a new account before the store is asked.
pub(crate) fn read_credentials(new: &NewChannelAccount<'_>) -> Result<Credentials, AdminError> {
    channels::read_credentials(new.channel, new.key, new.bank_certificate, new.algorithm)
        .map_err(AdminError::Invalid)
}

/// [`read_credentials`] on a blocking thread, with owned copies of the upload.
async fn read_credentials_off_runtime(
    new: &NewChannelAccount<'_>,
) -> Result<Credentials, AdminError> {
    let key = match new.key {
        KeySource::Pkcs12 { der, password } => OwnedKey::Pkcs12(der.to_vec(), password.to_string()),
        KeySource::Pem(text) => OwnedKey::Pem(text.to_string()),
        KeySource::SecureKey(text) => OwnedKey::SecureKey(text.to_string()),
    };
    let certificate = new.bank_certificate.to_vec();
    let algorithm = new.algorithm.to_string();
    let bank = new.channel.to_string();
    off_runtime(move || {
        let key = match &key {
            OwnedKey::Pkcs12(der, password) => KeySource::Pkcs12 { der, password },
            OwnedKey::Pem(text) => KeySource::Pem(text),
            OwnedKey::SecureKey(text) => KeySource::SecureKey(text),
        };
        channels::read_credentials(&bank, key, &certificate, &algorithm)
            .map_err(AdminError::Invalid)
    })
    .await
}

enum OwnedKey {
    Pkcs12(Vec<u8>, String),
    Pem(String),
    SecureKey(String),
}

async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AdminError> + Send + 'static,
) -> Result<T, AdminError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| invalid("reading the key", &e))?
}

fn invalid(what: &str, error: &dyn std::fmt::Display) -> AdminError {
    AdminError::Invalid(format!("{what}: {error}"))
}

/// A stored channel account as administration shows it.
#[derive(Debug, Clone)]
pub struct ChannelAccountView {
    pub account: ChannelAccount,
    pub certificate_subject: String,
    pub certificate_sha256: String,
    /// SHA-256 of the public key; the private key itself is never shown.
    pub key_sha256: String,
}

/// Fingerprints of every channel account; a stored key or certificate that no longer reads
/// shows as unreadable rather than failing the list.
pub async fn channel_account_views(store: &Store) -> Result<Vec<ChannelAccountView>, AdminError> {
    let accounts = store.list_channel_accounts().await?;
    Ok(accounts
        .into_iter()
        .map(|account| {
            let fingerprints = channels::fingerprints(&account);
            ChannelAccountView {
                certificate_subject: fingerprints.certificate_subject,
                certificate_sha256: fingerprints.certificate_sha256,
                key_sha256: fingerprints.key_sha256,
                account,
            }
        })
        .collect())
}
