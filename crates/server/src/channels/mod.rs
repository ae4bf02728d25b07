//! The channel registry: the one place that knows which bank crate serves a channel account.
//! It builds each account's `Channel` once from the stored keys and keeps it (parsing an RSA
//! key per payment would cost more than the payment itself); the capability ports (K-code,
//! mandates, identity, statements) are reached through that channel. A bank is a crate plus
//! one module here (`abc.rs`, `unionpay.rs`) and one arm in each `match` below.

mod abc;
mod timed;
pub(crate) mod unionpay;

use crate::latency::Latencies;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use unipay_core::channel::Channel;
use unipay_store::Store;
use unipay_store::merchants::ChannelAccount;

#[derive(Debug, thiserror::Error)]
pub enum ChannelSetupError {
    #[error("channel account {0} has an unusable setting: {1}")]
    Invalid(String, String),
    #[error("channel {0:?} is not supported")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] unipay_store::StoreError),
}

#[derive(Clone, Default)]
pub struct ChannelRegistry {
    channels: Arc<RwLock<HashMap<String, Arc<dyn Channel>>>>,
    /// Where the channels' bank calls are timed, when they are.
    latencies: Option<Arc<Latencies>>,
}

impl ChannelRegistry {
    /// A registry whose channels time every bank call into `latencies`.
    pub fn timed(latencies: Arc<Latencies>) -> ChannelRegistry {
        ChannelRegistry {
            channels: Arc::default(),
            latencies: Some(latencies),
        }
    }

    fn timed_channel(&self, channel: Arc<dyn Channel>) -> Arc<dyn Channel> {
        match &self.latencies {
            Some(latencies) => timed::Timed::wrap(channel, latencies.clone()),
            None => channel,
        }
    }

    /// The channel of an account, built from the store on first use.
    pub async fn get(
        &self,
        store: &Store,
        account_id: &str,
    ) -> Result<Option<Arc<dyn Channel>>, ChannelSetupError> {
        if let Some(channel) = self.cached(account_id) {
            return Ok(Some(channel));
        }
        let Some(account) = store.get_channel_account(account_id).await? else {
            return Ok(None);
        };
        let channel = self.timed_channel(build_channel(&account)?);
        if let Ok(mut channels) = self.channels.write() {
            channels.insert(account_id.to_string(), channel.clone());
        }
        Ok(Some(channel))
    }

    /// Puts `channel` in place of the one the stored account would give: for a channel built
    /// elsewhere, and for tests that need a channel without some capability (no K-code, say),
    /// which no stored ABC account can describe.
    pub fn insert(&self, account_id: &str, channel: Arc<dyn Channel>) {
        let channel = self.timed_channel(channel);
        if let Ok(mut channels) = self.channels.write() {
            channels.insert(account_id.to_string(), channel);
        }
    }

    fn cached(&self, account_id: &str) -> Option<Arc<dyn Channel>> {
        self.channels.read().ok()?.get(account_id).cloned()
    }
}

/// Builds the channel for a stored account, checking every setting.
pub fn build_channel(account: &ChannelAccount) -> Result<Arc<dyn Channel>, ChannelSetupError> {
    match account.channel.as_str() {
        abc::CHANNEL => abc::build(account),
        unionpay::CHANNEL => unionpay::build(account),
        other => Err(ChannelSetupError::Unsupported(other.to_string())),
    }
}

/// The merchant's key as the bank hands it out.
#[derive(Clone, Copy)]
pub enum KeySource<'a> {
    /// PKCS#12 (.pfx) with its password.
    Pkcs12 { der: &'a [u8], password: &'a str },
    /// PEM, PKCS#8 or PKCS#1.
    Pem(&'a str),
    /// A secret shared with the bank instead of a key pair (UnionPay's signMethod 11 and 12).
    SecureKey(&'a str),
}

/// The banks an account can be added for: the stored `channel` values.
pub const BANKS: [&str; 2] = [abc::CHANNEL, unionpay::CHANNEL];

/// The payment type codes a payment may record (`Payment::payment_type`), of every bank that
/// records one: the console names each in words.
pub fn payment_type_codes() -> Vec<&'static str> {
    abc::payment_type_codes().collect()
}

/// A new account's key and bank certificate as they are stored, with what administration may
/// show of them.
pub struct Credentials {
    pub private_key_pem: String,
    pub bank_certificate_pem: String,
    pub fingerprints: Fingerprints,
}

/// What identifies an account's keys without showing them.
#[derive(Debug, Clone)]
pub struct Fingerprints {
    pub certificate_subject: String,
    pub certificate_sha256: String,
    /// SHA-256 of the public key; the private key itself is never shown.
    pub key_sha256: String,
}

/// Reads an uploaded key and bank certificate for a channel, and checks the signature
/// algorithm's name: what can be checked of a new account before the store is asked. The error
/// says which part could not be read.
pub fn read_credentials(
    channel: &str,
    key: KeySource<'_>,
    bank_certificate: &[u8],
    algorithm: &str,
) -> Result<Credentials, String> {
    match channel {
        abc::CHANNEL => abc::read_credentials(key, bank_certificate, algorithm),
        unionpay::CHANNEL => unionpay::read_credentials(key, bank_certificate, algorithm),
        other => Err(format!("channel {other:?} is not supported")),
    }
}

/// The fingerprints of a stored account; a key or certificate that no longer reads shows as
/// unreadable rather than failing.
pub fn fingerprints(account: &ChannelAccount) -> Fingerprints {
    match account.channel.as_str() {
        abc::CHANNEL => abc::fingerprints(account),
        unionpay::CHANNEL => unionpay::fingerprints(account),
        _ => Fingerprints {
            certificate_subject: UNREADABLE.into(),
            certificate_sha256: UNREADABLE.into(),
            key_sha256: UNREADABLE.into(),
        },
    }
}

const UNREADABLE: &str = "unreadable";
