//! The bank channels of every channel account, built once from the stored keys and kept:
//! parsing an RSA key per payment would cost more than the payment itself.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use unipay_channel_abc::channel::{AbcAccount, AbcChannel, NotifyType};
use unipay_channel_abc::crypto::{Certificate, PrivateKey, SignatureAlgorithm};
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
}

impl ChannelRegistry {
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
        let channel = build_channel(&account)?;
        if let Ok(mut channels) = self.channels.write() {
            channels.insert(account_id.to_string(), channel.clone());
        }
        Ok(Some(channel))
    }

    /// Puts `channel` in place of the one the stored account would give: for a channel built
    /// elsewhere, and for tests that need a channel without some capability (no K-code, say),
    /// which no stored ABC account can describe.
    pub fn insert(&self, account_id: &str, channel: Arc<dyn Channel>) {
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
    let invalid = |what: String| ChannelSetupError::Invalid(account.id.clone(), what);
    match account.channel.as_str() {
        "abc" => {
            let key = PrivateKey::from_pem(&account.private_key_pem)
                .map_err(|e| invalid(e.to_string()))?;
            let certificate = Certificate::from_der_or_pem(account.bank_certificate_pem.as_bytes())
                .map_err(|e| invalid(e.to_string()))?;
            let mut abc = AbcAccount::new(
                &account.bank_merchant_id,
                key,
                certificate,
                &account.trx_url,
            );
            abc.algorithm =
                SignatureAlgorithm::parse(&account.signature_algorithm).ok_or_else(|| {
                    invalid(format!(
                        "signature algorithm {:?}",
                        account.signature_algorithm
                    ))
                })?;
            abc.payment_types = account
                .payment_types
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            abc.notify_type = match account.notify_type.as_str() {
                "page" => NotifyType::Page,
                "server" => NotifyType::Server,
                other => return Err(invalid(format!("notify type {other:?}"))),
            };
            abc.cutover_hour =
                u8::try_from(account.cutover_hour).map_err(|_| invalid("cutover hour".into()))?;
            let channel = AbcChannel::new(abc).map_err(|e| invalid(e.to_string()))?;
            Ok(Arc::new(channel))
        }
        other => Err(ChannelSetupError::Unsupported(other.to_string())),
    }
}
