//! The start-up banner on stdout. Each address is on its own `name: URL` line, the URL first
//! after the colon, so scripts and tests can read them; logs go to stderr.

use super::DEMO_METRICS_TOKEN;
use super::accounts::{ABC_MERCHANT_ID, UNIONPAY_MER_ID};
use super::setup::DemoApp;

pub struct Urls<'a> {
    pub shop: &'a str,
    pub unipay: &'a str,
    pub bank: &'a str,
    pub unionpay: &'a str,
    pub data_dir: &'a std::path::Path,
    pub app: &'a DemoApp,
    /// `(username, password)` of the demo's console users.
    pub console_users: &'a [(String, String)],
}

pub fn print(urls: &Urls<'_>) {
    let Urls {
        shop,
        unipay,
        bank,
        unionpay,
        data_dir,
        app,
        console_users,
    } = urls;
    println!("unipay demo is running (data in {})", data_dir.display());
    println!("  shop:          {shop}  (the business system: buy here)");
    println!("  notifications: {shop}/notifications  (what unipay told the shop)");
    println!(
        "  unipay:        {unipay}  (merchant API /v1, app {})",
        app.app_id
    );
    println!("  cashier:       {unipay}/pay/  (+ payment id; the consumer chooses the bank there)");
    println!("  console:       {unipay}/console  (operations; users below)");
    println!(
        "  metrics:       {unipay}/metrics  (with Authorization: Bearer {DEMO_METRICS_TOKEN})"
    );
    println!("  banksim:       {bank}  (ABC TrustPay simulator)");
    println!("  sim-api:       {bank}/sim/health  (also /sim/orders/{{order_no}}, /sim/faults)");
    println!(
        "  texts:         {bank}/sim/sms?mobile=<last 4 digits>  (the K-code the bank texted)"
    );
    println!("  unionpay-sim:  {unionpay}  (China UnionPay gateway simulator)");
    println!(
        "  unionpay-api:  {unionpay}/sim/unionpay/certs  (also /sim/unionpay/transactions/{{queryId}}, /sim/unionpay/faults)"
    );
    println!(
        "  accounts:      {} (ABC, MerchantID {ABC_MERCHANT_ID}), {} (UnionPay, merId {UNIONPAY_MER_ID})",
        app.abc_account_id, app.unionpay_account_id
    );
    println!();
    for (user, password) in console_users.iter() {
        println!("  console user {user:<9} password {password}");
    }
    println!();
    println!("Open {shop}, click Pay and choose a bank. Press Ctrl-C to stop.");
}
