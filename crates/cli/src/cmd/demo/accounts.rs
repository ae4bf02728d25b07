//! The demo merchant's two channel accounts as the banks the demo runs now want them: one at the
//! simulated ABC (TrustPay), one at the simulated UnionPay gateway (ACP 5.1.0, RSA-SHA256,
//! the gateway's certificates checked against its root and middle). Both sign with the
//! merchant's one key; the store seals it at rest like any account's.

use super::keys::MerchantIdentity;
use anyhow::Context;
use sha2::{Digest, Sha256};
use unipay_channel_abc::crypto::SignatureAlgorithm;
use unipay_core::ids::random_token;
use unipay_server::channels::{self, KeySource};
use unipay_store::merchants::ChannelAccount;

/// The merchant's number at the simulated ABC.
pub const ABC_MERCHANT_ID: &str = "103881234560010";
/// The merchant's merId at the simulated UnionPay gateway (the form of UnionPay's own test
/// merchants).
pub const UNIONPAY_MER_ID: &str = "777290058110048";
/// ACP 5.1.0 signing (RSA with SHA-256); the simulator's signing certificate carries the test
/// environment's CN, which the account must accept.
const UNIONPAY_SIGNING: &str = "rsa-sha256 test-cn";

/// Where the simulated UnionPay gateway is, and the root and middle certificates its signing
/// certificate chains to.
pub struct UnionPayBank<'a> {
    pub url: &'a str,
    pub root_pem: &'a str,
    pub middle_pem: &'a str,
}

/// The account at the simulated ABC; `id` and `merchant_id` are the caller's to set.
pub fn abc(
    merchant: &MerchantIdentity,
    bank_url: &str,
    bank_certificate_pem: &str,
    now_ms: i64,
) -> anyhow::Result<ChannelAccount> {
    Ok(ChannelAccount {
        id: String::new(),
        merchant_id: String::new(),
        channel: "abc".into(),
        bank_merchant_id: ABC_MERCHANT_ID.into(),
        private_key_pem: merchant.key.to_pkcs8_pem()?,
        bank_certificate_pem: bank_certificate_pem.to_string(),
        signature_algorithm: SignatureAlgorithm::Sha1WithRsa.as_str().into(),
        trx_url: format!("{bank_url}{}", unipay_banksim::TRANSACTION_PATH),
        payment_types: "A,1,3,6".into(),
        notify_type: "server".into(),
        cutover_hour: 23,
        bank_fee_bps: 0,
        created_at: now_ms,
    })
}

/// The account at the simulated UnionPay gateway; `id` and `merchant_id` are the caller's to
/// set. The key and certificates are read as `admin add-channel-account --bank unionpay`
/// reads a `.pfx`, so the row is the one that command would store.
pub fn unionpay(
    merchant: &MerchantIdentity,
    bank: &UnionPayBank<'_>,
    now_ms: i64,
) -> anyhow::Result<ChannelAccount> {
    // The .pfx lives only here, to go through the one reader of a UnionPay signing key.
    let password = random_token(24);
    let pfx = merchant
        .key
        .to_pkcs12(&merchant.certificate, &password)
        .context("packing the merchant key for UnionPay")?;
    let chain = format!("{}\n{}\n", bank.root_pem.trim(), bank.middle_pem.trim());
    let credentials = channels::read_credentials(
        "unionpay",
        KeySource::Pkcs12 {
            der: &pfx,
            password: &password,
        },
        chain.as_bytes(),
        UNIONPAY_SIGNING,
    )
    .map_err(|error| anyhow::anyhow!("the demo's UnionPay account: {error}"))?;
    Ok(ChannelAccount {
        id: String::new(),
        merchant_id: String::new(),
        channel: "unionpay".into(),
        bank_merchant_id: UNIONPAY_MER_ID.into(),
        private_key_pem: credentials.private_key_pem,
        bank_certificate_pem: credentials.bank_certificate_pem,
        signature_algorithm: UNIONPAY_SIGNING.into(),
        trx_url: bank.url.to_string(),
        // channelType 07: the desktop browser.
        payment_types: "07".into(),
        notify_type: "server".into(),
        cutover_hour: 23,
        bank_fee_bps: 0,
        created_at: now_ms,
    })
}

/// Whether a stored account reaches the same bank, with the same keys, as the wanted one.
pub fn same_bank(stored: &ChannelAccount, wanted: &ChannelAccount) -> bool {
    stored.merchant_id == wanted.merchant_id
        && stored.channel == wanted.channel
        && stored.bank_merchant_id == wanted.bank_merchant_id
        && stored.trx_url == wanted.trx_url
        && stored.signature_algorithm == wanted.signature_algorithm
        && stored.bank_certificate_pem == wanted.bank_certificate_pem
        && stored.private_key_pem == wanted.private_key_pem
}

/// 12 hex characters naming the bank addresses and keys of `accounts`.
pub fn fingerprint(accounts: &[&ChannelAccount]) -> String {
    let mut hash = Sha256::new();
    for account in accounts {
        for part in [
            &account.trx_url,
            &account.bank_certificate_pem,
            &account.private_key_pem,
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
    }
    hex::encode(hash.finalize())[..12].to_string()
}
