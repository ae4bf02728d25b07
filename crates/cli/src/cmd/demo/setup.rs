//! The demo's rows in the database: the merchant, its channel accounts at both simulated banks
//! and the shop's app routed to both, created on the first run and reused (or repaired) on the
//! next ones.

use super::accounts::{self, UnionPayBank, same_bank};
use super::keys::MerchantIdentity;
use anyhow::{Context, bail};
use unipay_core::ids::random_token;
use unipay_store::Store;
use unipay_store::merchants::{App, ChannelAccount, Merchant};

const MERCHANT_ID: &str = "mch_demo";
const ABC_ACCOUNT_ID: &str = "cha_demo";
const UNIONPAY_ACCOUNT_ID: &str = "cha_demo_unionpay";
const APP_ID: &str = "app_demo";

/// What the shop needs to talk to unipay, and the accounts its payments may go through.
pub struct DemoApp {
    pub app_id: String,
    pub secret: String,
    pub abc_account_id: String,
    pub unionpay_account_id: String,
}

/// Where the simulated banks are and what their messages are checked with.
pub struct Banks<'a> {
    pub abc_url: &'a str,
    pub abc_certificate_pem: &'a str,
    pub unionpay: UnionPayBank<'a>,
}

/// The ids of one set of the demo's rows: a merchant holding exactly one account at each bank,
/// and the shop's app, routed to each of its merchant's accounts so that the consumer chooses
/// the bank at the cashier.
struct Place {
    merchant_id: String,
    abc_account_id: String,
    unionpay_account_id: String,
    app_id: String,
}

impl Place {
    /// The first run's rows (an ABC-only demo's too: its merchant gains the UnionPay account).
    fn first() -> Place {
        Place {
            merchant_id: MERCHANT_ID.into(),
            abc_account_id: ABC_ACCOUNT_ID.into(),
            unionpay_account_id: UNIONPAY_ACCOUNT_ID.into(),
            app_id: APP_ID.into(),
        }
    }

    /// The rows for banks at other addresses or with other keys, named after them (`suffix`):
    /// going back to the earlier ports finds the earlier rows again.
    fn moved(suffix: &str) -> Place {
        Place {
            merchant_id: format!("{MERCHANT_ID}_{suffix}"),
            abc_account_id: format!("{ABC_ACCOUNT_ID}_{suffix}"),
            unionpay_account_id: format!("{UNIONPAY_ACCOUNT_ID}_{suffix}"),
            app_id: format!("{APP_ID}_{suffix}"),
        }
    }

    /// The wanted accounts with this place's ids.
    fn accounts(&self, abc: &ChannelAccount, unionpay: &ChannelAccount) -> [ChannelAccount; 2] {
        let place = |account: &ChannelAccount, id: &str| ChannelAccount {
            id: id.to_string(),
            merchant_id: self.merchant_id.clone(),
            ..account.clone()
        };
        [
            place(abc, &self.abc_account_id),
            place(unionpay, &self.unionpay_account_id),
        ]
    }
}

/// Creates (or finds) the merchant, its accounts at both simulated banks and the shop's app.
pub async fn prepare(
    store: &Store,
    merchant: &MerchantIdentity,
    banks: &Banks<'_>,
    notify_url: &str,
) -> anyhow::Result<DemoApp> {
    let now = chrono::Utc::now().timestamp_millis();
    let abc = accounts::abc(merchant, banks.abc_url, banks.abc_certificate_pem, now)?;
    let unionpay = accounts::unionpay(merchant, &banks.unionpay, now)?;
    // The store has no way to change a channel account, and payments already made through one
    // must keep the keys and bank they were signed for. So when a bank moved (other ports) or
    // a key changed, the demo makes another merchant with its own accounts and app.
    let first = Place::first();
    let place = if fits(store, &first, &first.accounts(&abc, &unionpay)).await? {
        first
    } else {
        let moved = Place::moved(&accounts::fingerprint(&[&abc, &unionpay]));
        if !fits(store, &moved, &moved.accounts(&abc, &unionpay)).await? {
            bail!(
                "the demo's rows for these banks ({}) exist but do not match; remove the data directory",
                moved.merchant_id
            );
        }
        moved
    };
    let wanted = place.accounts(&abc, &unionpay);
    furnish(store, &place, &wanted, notify_url, now).await
}

/// Whether `place` holds or can be given exactly the `wanted` accounts: each absent or at the
/// same bank, no other account of its merchant (its app uses each of them), and its app, if
/// any, its merchant's and active, routed to all its accounts or (an ABC-only demo's) to the
/// ABC one.
async fn fits(store: &Store, place: &Place, wanted: &[ChannelAccount]) -> anyhow::Result<bool> {
    for account in wanted {
        if let Some(stored) = store.get_channel_account(&account.id).await?
            && !same_bank(&stored, account)
        {
            return Ok(false);
        }
    }
    let another_account = store.list_channel_accounts().await?.iter().any(|stored| {
        stored.merchant_id == place.merchant_id && !wanted.iter().any(|w| w.id == stored.id)
    });
    if another_account {
        return Ok(false);
    }
    Ok(match store.get_app(&place.app_id).await? {
        None => true,
        Some(app) => {
            app.merchant_id == place.merchant_id
                && app.is_active()
                && app
                    .channel_account_id
                    .as_deref()
                    .is_none_or(|id| id == place.abc_account_id)
        }
    })
}

/// Adds what `place` lacks of the merchant, the `wanted` accounts and the app, and routes the
/// app to both accounts.
async fn furnish(
    store: &Store,
    place: &Place,
    wanted: &[ChannelAccount],
    notify_url: &str,
    now: i64,
) -> anyhow::Result<DemoApp> {
    if store.get_merchant(&place.merchant_id).await?.is_none() {
        store
            .insert_merchant(&Merchant {
                id: place.merchant_id.clone(),
                name: "演示学校 Demo school".into(),
                created_at: now,
            })
            .await?;
    }
    for account in wanted {
        if store.get_channel_account(&account.id).await?.is_none() {
            insert_account(store, account).await?;
        }
    }
    let app_id = &place.app_id;
    let app = match store.get_app(app_id).await? {
        Some(app) => app,
        None => {
            store
                .insert_app(&App {
                    id: app_id.clone(),
                    merchant_id: place.merchant_id.clone(),
                    name: "演示商店 Demo shop".into(),
                    secret: random_token(40),
                    notify_url: Some(notify_url.to_string()),
                    channel_account_id: None,
                    status: "active".into(),
                    created_at: now,
                })
                .await?;
            // Read back what was stored rather than trusting the local copy.
            store
                .get_app(app_id)
                .await?
                .with_context(|| format!("app {app_id} vanished after it was created"))?
        }
    };
    // An ABC-only demo's app is pinned to its ABC account: from now on it may use both.
    if app.channel_account_id.is_some() {
        unipay_server::flows::admin::route_app(store, app_id, None).await?;
    }
    // The shop's port may differ from the last run.
    if app.notify_url.as_deref() != Some(notify_url) {
        store.set_app_notify_url(app_id, Some(notify_url)).await?;
    }
    Ok(DemoApp {
        app_id: app_id.clone(),
        secret: app.secret,
        abc_account_id: place.abc_account_id.clone(),
        unionpay_account_id: place.unionpay_account_id.clone(),
    })
}

async fn insert_account(store: &Store, account: &ChannelAccount) -> anyhow::Result<()> {
    // Refuse an account the server could not use, before storing it.
    unipay_server::channels::build_channel(account)?;
    store.insert_channel_account(account).await?;
    Ok(())
}
