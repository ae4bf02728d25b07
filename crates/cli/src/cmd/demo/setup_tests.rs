//! The demo's rows across runs: an ABC-only demo's data gains the UnionPay account and its app
//! is routed to both; banks at other addresses get a merchant of their own, whose app routes to
//! exactly its two accounts; a run at the same addresses adds nothing.

use super::accounts::{self, UnionPayBank};
use super::keys::MerchantIdentity;
use super::setup::{Banks, DemoApp, prepare};
use std::sync::OnceLock;
use unipay_banksim::unionpay::Authority;
use unipay_channel_abc::crypto::PrivateKey;
use unipay_store::Store;
use unipay_store::merchants::{App, Merchant};
use unipay_store::testing::{TestBackend, TestDatabase};

const NOTIFY_URL: &str = "http://127.0.0.1:9/notify";
const TABLES: [&str; 3] = ["merchants", "channel_accounts", "apps"];

/// The merchant's key and the simulated banks' certificates, made once for all the tests.
struct Keys {
    merchant: MerchantIdentity,
    abc_certificate_pem: String,
    root_pem: String,
    middle_pem: String,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = PrivateKey::generate(2048).unwrap();
        let certificate = key.self_signed_certificate("demo merchant", 30).unwrap();
        let bank = PrivateKey::generate(1024).unwrap();
        let authority = Authority::generate().unwrap();
        Keys {
            merchant: MerchantIdentity { key, certificate },
            abc_certificate_pem: bank
                .self_signed_certificate("demo bank", 30)
                .unwrap()
                .to_pem(),
            root_pem: authority.root.pem(),
            middle_pem: authority.middle.pem(),
        }
    })
}

/// The banks at `abc_url` and `unionpay_url`.
fn banks<'a>(abc_url: &'a str, unionpay_url: &'a str) -> Banks<'a> {
    let keys = keys();
    Banks {
        abc_url,
        abc_certificate_pem: &keys.abc_certificate_pem,
        unionpay: UnionPayBank {
            url: unionpay_url,
            root_pem: &keys.root_pem,
            middle_pem: &keys.middle_pem,
        },
    }
}

async fn prepared(store: &Store, banks: &Banks<'_>) -> DemoApp {
    prepare(store, &keys().merchant, banks, NOTIFY_URL)
        .await
        .unwrap()
}

/// The channel accounts the app's payments may go through, oldest first.
async fn routes(store: &Store, app_id: &str) -> Vec<(String, String)> {
    let app = store.get_app(app_id).await.unwrap().unwrap();
    assert_eq!(app.channel_account_id, None, "routed to each account");
    store
        .channel_routes_for_app(&app)
        .await
        .unwrap()
        .into_iter()
        .map(|route| (route.channel_account_id, route.channel))
        .collect()
}

/// What an ABC-only demo left at `abc_url`: its merchant, its ABC account (as `account_id`) and
/// its app pinned to that account.
async fn abc_only_demo(store: &Store, abc_url: &str, account_id: &str, app_id: &str) {
    if store.get_merchant("mch_demo").await.unwrap().is_none() {
        store
            .insert_merchant(&Merchant {
                id: "mch_demo".into(),
                name: "演示学校 Demo school".into(),
                created_at: 1,
            })
            .await
            .unwrap();
    }
    let keys = keys();
    let mut account = accounts::abc(&keys.merchant, abc_url, &keys.abc_certificate_pem, 1).unwrap();
    account.id = account_id.into();
    account.merchant_id = "mch_demo".into();
    store.insert_channel_account(&account).await.unwrap();
    store
        .insert_app(&App {
            id: app_id.into(),
            merchant_id: "mch_demo".into(),
            name: "演示商店 Demo shop".into(),
            secret: format!("{app_id}-secret"),
            notify_url: Some(NOTIFY_URL.into()),
            channel_account_id: Some(account_id.into()),
            status: "active".into(),
            created_at: 1,
        })
        .await
        .unwrap();
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[tokio::test]
async fn an_abc_only_demo_gains_its_unionpay_account_and_routes_to_both() {
    let (db, store) = TestDatabase::store(TestBackend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    abc_only_demo(&store, "http://127.0.0.1:7701", "cha_demo", "app_demo").await;
    let banks = banks("http://127.0.0.1:7701", "http://127.0.0.1:7703");

    let app = prepared(&store, &banks).await;
    assert_eq!(
        (app.app_id.as_str(), app.secret.as_str()),
        ("app_demo", "app_demo-secret"),
        "the same app, its secret kept"
    );
    assert_eq!(
        routes(&store, "app_demo").await,
        pairs(&[("cha_demo", "abc"), ("cha_demo_unionpay", "unionpay")])
    );
    let unionpay = store
        .get_channel_account("cha_demo_unionpay")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            unionpay.merchant_id.as_str(),
            unionpay.bank_merchant_id.as_str(),
            unionpay.signature_algorithm.as_str(),
            unionpay.trx_url.as_str()
        ),
        (
            "mch_demo",
            accounts::UNIONPAY_MER_ID,
            "rsa-sha256 test-cn",
            "http://127.0.0.1:7703"
        )
    );
    unipay_server::channels::build_channel(&unionpay).unwrap();
    // Sealed at rest: the column holds no PEM (the schema also refuses plaintext).
    assert_eq!(
        store
            .execute_for_test(
                "UPDATE channel_accounts SET created_at = created_at \
                 WHERE id = 'cha_demo_unionpay' AND private_key_pem LIKE 'v1:%'"
            )
            .await
            .unwrap(),
        1
    );

    // The next run at the same addresses adds nothing.
    let before = store.count_rows_for_test(&TABLES).await.unwrap();
    let again = prepared(&store, &banks).await;
    assert_eq!(
        (again.app_id, again.unionpay_account_id),
        ("app_demo".to_string(), "cha_demo_unionpay".to_string())
    );
    assert_eq!(store.count_rows_for_test(&TABLES).await.unwrap(), before);
    store.close().await;
    db.drop_database().await.unwrap();
}

#[tokio::test]
async fn banks_at_other_addresses_get_a_merchant_of_their_own() {
    let (db, store) = TestDatabase::store(TestBackend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    let here = banks("http://127.0.0.1:7701", "http://127.0.0.1:7703");
    let first = prepared(&store, &here).await;
    assert_eq!(first.app_id, "app_demo");
    assert_eq!(
        routes(&store, "app_demo").await,
        pairs(&[("cha_demo", "abc"), ("cha_demo_unionpay", "unionpay")])
    );

    // Only the UnionPay gateway moved: its account cannot change, so the banks get new rows.
    let moved = prepared(
        &store,
        &banks("http://127.0.0.1:7701", "http://127.0.0.1:8703"),
    )
    .await;
    assert_ne!(moved.app_id, "app_demo");
    assert_eq!(
        routes(&store, &moved.app_id).await,
        vec![
            (moved.abc_account_id.clone(), "abc".to_string()),
            (moved.unionpay_account_id.clone(), "unionpay".to_string())
        ],
        "exactly the moved banks' accounts"
    );
    assert_eq!(
        routes(&store, "app_demo").await.len(),
        2,
        "the first app still routes to its own two"
    );

    // Back at the first addresses: the first rows again.
    assert_eq!(prepared(&store, &here).await.app_id, "app_demo");
    store.close().await;
    db.drop_database().await.unwrap();
}

/// An ABC-only demo that once ran at other ports left a second ABC account under the first
/// merchant: routing the first app to each of the merchant's accounts would offer that stale
/// one too, so the demo uses a merchant of its own.
#[tokio::test]
async fn a_stale_account_under_the_first_merchant_is_never_offered() {
    let (db, store) = TestDatabase::store(TestBackend::Sqlite)
        .await
        .unwrap()
        .unwrap();
    abc_only_demo(&store, "http://127.0.0.1:7701", "cha_demo", "app_demo").await;
    abc_only_demo(
        &store,
        "http://127.0.0.1:9701",
        "cha_demo_0123456789ab",
        "app_demo_0123456789ab",
    )
    .await;

    let app = prepared(
        &store,
        &banks("http://127.0.0.1:7701", "http://127.0.0.1:7703"),
    )
    .await;
    assert_ne!(app.app_id, "app_demo");
    let offered = routes(&store, &app.app_id).await;
    assert_eq!(offered.len(), 2, "{offered:?}");
    assert!(
        offered
            .iter()
            .all(|(id, _)| !id.starts_with("cha_demo_0123")),
        "{offered:?}"
    );
    store.close().await;
    db.drop_database().await.unwrap();
}
