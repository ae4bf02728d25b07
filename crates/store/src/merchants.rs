//! Merchants (who money settles to), their apps (business systems) and channel accounts.

use crate::secrets::{APP_SECRET, CHANNEL_PRIVATE_KEY};
use crate::writer::args;
use crate::{Store, StoreError};
use sqlx::Row;
use sqlx::any::AnyRow;
use unipay_core::fees::{FeePlan, RefundFeePolicy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

#[derive(Clone, PartialEq, Eq)]
pub struct App {
    pub id: String,
    pub merchant_id: String,
    pub name: String,
    pub secret: String,
    pub notify_url: Option<String>,
    pub channel_account_id: Option<String>,
    pub status: String,
    pub created_at: i64,
}

impl std::fmt::Debug for App {
    // The secret never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("id", &self.id)
            .field("merchant_id", &self.merchant_id)
            .field("name", &self.name)
            .field("notify_url", &self.notify_url)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl App {
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// A merchant's account at one bank platform, with the keys to speak for it.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelAccount {
    pub id: String,
    pub merchant_id: String,
    pub channel: String,
    pub bank_merchant_id: String,
    pub private_key_pem: String,
    pub bank_certificate_pem: String,
    pub signature_algorithm: String,
    pub trx_url: String,
    /// Comma-separated payment type codes the cashier offers.
    pub payment_types: String,
    /// `page` or `server`.
    pub notify_type: String,
    pub cutover_hour: i64,
    /// What the bank charges per payment, in basis points (the fee reconciliation expects).
    pub bank_fee_bps: i64,
    pub created_at: i64,
}

impl std::fmt::Debug for ChannelAccount {
    // The private key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelAccount")
            .field("id", &self.id)
            .field("merchant_id", &self.merchant_id)
            .field("channel", &self.channel)
            .field("bank_merchant_id", &self.bank_merchant_id)
            .field("trx_url", &self.trx_url)
            .finish_non_exhaustive()
    }
}

impl Store {
    pub async fn insert_merchant(&self, merchant: &Merchant) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO merchants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&merchant.id)
            .bind(&merchant.name)
            .bind(merchant.created_at)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    pub async fn get_merchant(&self, id: &str) -> Result<Option<Merchant>, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM merchants WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| {
            Ok(Merchant {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .transpose()
    }

    /// Inserts an app; its secret is sealed on the way in.
    pub async fn insert_app(&self, app: &App) -> Result<(), StoreError> {
        let sealed_secret = self.seal_secret(APP_SECRET, &app.id, &app.secret)?;
        sqlx::query(
            "INSERT INTO apps (id, merchant_id, name, secret, notify_url, channel_account_id, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&app.id)
        .bind(&app.merchant_id)
        .bind(&app.name)
        .bind(&sealed_secret)
        .bind(&app.notify_url)
        .bind(&app.channel_account_id)
        .bind(&app.status)
        .bind(app.created_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Read at every request, not kept: a disabled app or a rotated secret stops at once on
    /// every node.
    pub async fn get_app(&self, id: &str) -> Result<Option<App>, StoreError> {
        let row = self
            .fetch_point(
                "SELECT id, merchant_id, name, secret, notify_url, channel_account_id, status, created_at \
                 FROM apps WHERE id = $1",
                args![id],
            )
            .await?;
        row.map(|r| self.app_from_row(&r)).transpose()
    }

    pub async fn set_app_notify_url(
        &self,
        app_id: &str,
        notify_url: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query("UPDATE apps SET notify_url = $1 WHERE id = $2")
            .bind(notify_url)
            .bind(app_id)
            .execute(&self.write)
            .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Routes an app's payments: to one channel account, or (`None`) to each of its merchant's,
    /// among which a payment's consumer chooses at the cashier. False when there is no such app.
    pub async fn set_app_channel_account(
        &self,
        app_id: &str,
        channel_account_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query("UPDATE apps SET channel_account_id = $1 WHERE id = $2")
            .bind(channel_account_id)
            .bind(app_id)
            .execute(&self.write)
            .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Inserts a channel account; its private key is sealed on the way in.
    pub async fn insert_channel_account(&self, account: &ChannelAccount) -> Result<(), StoreError> {
        let sealed_key =
            self.seal_secret(CHANNEL_PRIVATE_KEY, &account.id, &account.private_key_pem)?;
        sqlx::query(
            "INSERT INTO channel_accounts (id, merchant_id, channel, bank_merchant_id, private_key_pem, \
             bank_certificate_pem, signature_algorithm, trx_url, payment_types, notify_type, cutover_hour, created_at, \
             bank_fee_bps) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&account.id)
        .bind(&account.merchant_id)
        .bind(&account.channel)
        .bind(&account.bank_merchant_id)
        .bind(&sealed_key)
        .bind(&account.bank_certificate_pem)
        .bind(&account.signature_algorithm)
        .bind(&account.trx_url)
        .bind(&account.payment_types)
        .bind(&account.notify_type)
        .bind(account.cutover_hour)
        .bind(account.created_at)
        .bind(account.bank_fee_bps)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    pub async fn list_channel_accounts(&self) -> Result<Vec<ChannelAccount>, StoreError> {
        let rows = sqlx::query(&format!("{CHANNEL_ACCOUNT_SELECT} ORDER BY created_at, id"))
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| self.channel_account_from_row(r))
            .collect()
    }

    pub async fn get_channel_account(
        &self,
        id: &str,
    ) -> Result<Option<ChannelAccount>, StoreError> {
        let row = sqlx::query(&format!("{CHANNEL_ACCOUNT_SELECT} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| self.channel_account_from_row(&r)).transpose()
    }

    /// The channel account an app's payments go through (the app's own, else its merchant's
    /// first) with the fees a payment through it carries.
    pub async fn channel_route_for_app(
        &self,
        app: &App,
    ) -> Result<Option<ChannelRoute>, StoreError> {
        self.channel_route_for_app_via(app, None).await
    }

    /// As [`Store::channel_route_for_app`], among the accounts the app may use only the one
    /// `choice` names: by its bank (`abc`, `unionpay`; the merchant's first there) or its id.
    pub async fn channel_route_for_app_via(
        &self,
        app: &App,
        choice: Option<&str>,
    ) -> Result<Option<ChannelRoute>, StoreError> {
        Ok(self
            .channel_routes_of(app, choice, true)
            .await?
            .into_iter()
            .next())
    }

    /// Every channel account the app may use, oldest first: the cashier's choice of bank.
    /// An app pinned to an account (`apps.channel_account_id`) may use that one; any other
    /// may use each of its merchant's accounts.
    pub async fn channel_routes_for_app(&self, app: &App) -> Result<Vec<ChannelRoute>, StoreError> {
        self.channel_routes_of(app, None, false).await
    }

    async fn channel_routes_of(
        &self,
        app: &App,
        choice: Option<&str>,
        first_only: bool,
    ) -> Result<Vec<ChannelRoute>, StoreError> {
        let account_filter = match &app.channel_account_id {
            Some(_) => "c.id = $2 AND ($3 = '' OR c.channel = $3 OR c.id = $3)",
            // `$2` is bound either way (empty here): each backend wants every argument used.
            None => {
                "c.merchant_id = $1 AND $2 = '' AND ($3 = '' OR c.channel = $3 OR c.id = $3) \
                 ORDER BY c.created_at, c.id"
            }
        };
        let limit = if first_only { " LIMIT 1" } else { "" };
        // How many accounts the app may use in all: more than one lets the consumer choose.
        let sql = format!(
            "SELECT c.id, c.channel, c.bank_fee_bps, f.rate_bps, f.min_fen, f.max_fen, f.refund_fee, \
             (SELECT COUNT(*) FROM channel_accounts a WHERE a.merchant_id = $1 AND $2 = '') AS usable \
             FROM channel_accounts c LEFT JOIN fee_plans f ON f.channel_account_id = c.id AND f.merchant_id = $1 \
             WHERE {account_filter}{limit}"
        );
        let rows = sqlx::query(&sql)
            .bind(&app.merchant_id)
            .bind(app.channel_account_id.as_deref().unwrap_or(""))
            .bind(choice.unwrap_or(""))
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let rate_bps: Option<i64> = r.try_get("rate_bps")?;
                let fee_plan = match rate_bps {
                    None => FeePlan::FREE,
                    Some(rate_bps) => FeePlan {
                        rate_bps,
                        min_fen: r.try_get("min_fen")?,
                        max_fen: r.try_get("max_fen")?,
                        refund: refund_policy(&r.try_get::<String, _>("refund_fee")?)?,
                    },
                };
                let usable: i64 = r.try_get("usable")?;
                Ok(ChannelRoute {
                    channel_account_id: r.try_get("id")?,
                    channel: r.try_get("channel")?,
                    bank_fee_bps: r.try_get("bank_fee_bps")?,
                    fee_plan,
                    choosable: usable > 1,
                })
            })
            .collect()
    }

    /// Sets the fee plan of a merchant on a channel account; later payments carry it.
    pub async fn set_fee_plan(
        &self,
        merchant_id: &str,
        channel_account_id: &str,
        plan: &FeePlan,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO fee_plans (merchant_id, channel_account_id, rate_bps, min_fen, max_fen, refund_fee, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (merchant_id, channel_account_id) DO UPDATE SET \
             rate_bps = $3, min_fen = $4, max_fen = $5, refund_fee = $6, updated_at = $7",
        )
        .bind(merchant_id)
        .bind(channel_account_id)
        .bind(plan.rate_bps)
        .bind(plan.min_fen)
        .bind(plan.max_fen)
        .bind(plan.refund.as_str())
        .bind(now_ms)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// The fee plan of a merchant on a channel account (free when none is set).
    pub async fn fee_plan(
        &self,
        merchant_id: &str,
        channel_account_id: &str,
    ) -> Result<FeePlan, StoreError> {
        let row = sqlx::query(
            "SELECT rate_bps, min_fen, max_fen, refund_fee FROM fee_plans WHERE merchant_id = $1 AND channel_account_id = $2",
        )
        .bind(merchant_id)
        .bind(channel_account_id)
        .fetch_optional(&self.read)
        .await?;
        match row {
            None => Ok(FeePlan::FREE),
            Some(r) => Ok(FeePlan {
                rate_bps: r.try_get("rate_bps")?,
                min_fen: r.try_get("min_fen")?,
                max_fen: r.try_get("max_fen")?,
                refund: refund_policy(&r.try_get::<String, _>("refund_fee")?)?,
            }),
        }
    }
}

fn refund_policy(text: &str) -> Result<RefundFeePolicy, StoreError> {
    RefundFeePolicy::parse(text)
        .ok_or_else(|| StoreError::Corrupt(format!("refund fee policy {text:?}")))
}

/// Where an app's payments go: a channel account and its bank protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelRoute {
    pub channel_account_id: String,
    pub channel: String,
    pub bank_fee_bps: i64,
    pub fee_plan: FeePlan,
    /// The app may use other accounts too: a payment that names no channel lets the consumer
    /// choose its bank at the cashier.
    pub choosable: bool,
}

impl ChannelRoute {
    /// (our fee, the bank's fee) on a payment of `amount_fen` through this route.
    pub fn fees_for(&self, amount_fen: i64) -> (i64, i64) {
        (
            self.fee_plan.fee_for(amount_fen),
            unipay_core::fees::rate_half_up(amount_fen, self.bank_fee_bps),
        )
    }
}

const CHANNEL_ACCOUNT_SELECT: &str = "SELECT id, merchant_id, channel, bank_merchant_id, private_key_pem, \
     bank_certificate_pem, signature_algorithm, trx_url, payment_types, notify_type, cutover_hour, created_at, \
     bank_fee_bps FROM channel_accounts";

impl Store {
    /// An app row, its secret opened.
    fn app_from_row<R: crate::writer::RowGet>(&self, r: &R) -> Result<App, StoreError> {
        let id: String = r.try_get("id")?;
        let secret = self.open_secret(APP_SECRET, &id, &r.try_get::<String>("secret")?)?;
        Ok(App {
            id,
            merchant_id: r.try_get("merchant_id")?,
            name: r.try_get("name")?,
            secret,
            notify_url: r.try_get("notify_url")?,
            channel_account_id: r.try_get("channel_account_id")?,
            status: r.try_get("status")?,
            created_at: r.try_get("created_at")?,
        })
    }

    /// A channel account row, its private key opened.
    fn channel_account_from_row(&self, r: &AnyRow) -> Result<ChannelAccount, StoreError> {
        let id: String = r.try_get("id")?;
        let private_key_pem = self.open_secret(
            CHANNEL_PRIVATE_KEY,
            &id,
            &r.try_get::<String, _>("private_key_pem")?,
        )?;
        Ok(ChannelAccount {
            id,
            merchant_id: r.try_get("merchant_id")?,
            channel: r.try_get("channel")?,
            bank_merchant_id: r.try_get("bank_merchant_id")?,
            private_key_pem,
            bank_certificate_pem: r.try_get("bank_certificate_pem")?,
            signature_algorithm: r.try_get("signature_algorithm")?,
            trx_url: r.try_get("trx_url")?,
            payment_types: r.try_get("payment_types")?,
            notify_type: r.try_get("notify_type")?,
            cutover_hour: r.try_get("cutover_hour")?,
            bank_fee_bps: r.try_get("bank_fee_bps")?,
            created_at: r.try_get("created_at")?,
        })
    }
}
