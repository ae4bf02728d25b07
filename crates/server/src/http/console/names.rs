//! Names beside ids: a list or a record shows "Tea House (mch_01H…)" rather than an id alone.
//! Merchants, apps and channel accounts are few (each list is bounded by the store), so a page
//! reads them once and looks each row's up.

use std::collections::HashMap;
use unipay_store::{Store, StoreError};

#[derive(Debug, Default)]
pub struct Names {
    merchants: HashMap<String, String>,
    apps: HashMap<String, String>,
    /// A channel account has no name of its own: the bank's merchant number is what finance
    /// staff know it by.
    channel_accounts: HashMap<String, String>,
}

impl Names {
    pub async fn load(store: &Store) -> Result<Names, StoreError> {
        let merchants = store.list_merchants().await?;
        let apps = store.list_apps().await?;
        let accounts = store.channel_account_labels().await?;
        Ok(Names {
            merchants: merchants.into_iter().map(|m| (m.id, m.name)).collect(),
            apps: apps.into_iter().map(|a| (a.id, a.name)).collect(),
            channel_accounts: accounts.into_iter().collect(),
        })
    }

    /// The merchant's name; blank when unknown.
    pub fn merchant(&self, id: &str) -> String {
        self.merchants.get(id).cloned().unwrap_or_default()
    }

    pub fn app(&self, id: &str) -> String {
        self.apps.get(id).cloned().unwrap_or_default()
    }

    pub fn channel_account(&self, id: &str) -> String {
        self.channel_accounts.get(id).cloned().unwrap_or_default()
    }
}
