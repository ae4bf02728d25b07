//! The admin commands, as an operator runs them: keys, merchant, channel account with the real
//! ABC certificate, app, and the errors an operator can make.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use std::process::Output;

/// The command with a key-encryption key of its own, as an operator's environment names it.
fn unipay(args: &[&str]) -> Output {
    let kek = std::env::temp_dir().join(format!("unipay-admin-kek-{}", std::process::id()));
    if !kek.exists() {
        std::fs::write(&kek, unipay_store::testing::TEST_KEK_HEX).unwrap();
    }
    std::process::Command::new(env!("CARGO_BIN_EXE_unipay"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env("UNIPAY_SECRETS_KEK_FILE", kek)
        .output()
        .expect("runs")
}

/// The command with nothing but what its arguments and files say.
fn unipay_bare(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_unipay"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("UNIPAY_SECRETS_KEK_FILE")
        .output()
        .expect("runs")
}

fn json(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

/// Proves an operator can set up a merchant with a .pfx key and ABC's real TrustPay.cer, that
/// secrets are printed once at creation, and that mistakes are refused with a message.
#[test]
fn operator_sets_up_a_merchant_with_the_real_bank_certificate() {
    let dir = std::env::temp_dir().join(format!("unipay-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display().to_string();
    let db = format!("sqlite://{d}/unipay.db");
    let trustpay = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../channel-abc/tests/vectors/TrustPay.cer"
    );

    let keys = json(&unipay(&[
        "admin",
        "gen-keys",
        "--out-dir",
        &d,
        "--bits",
        "1024",
        "--json",
    ]));
    assert!(
        keys["subject"]
            .as_str()
            .unwrap()
            .contains("unipay merchant")
    );
    let merchant = json(&unipay(&[
        "admin",
        "create-merchant",
        "--database-url",
        &db,
        "--name",
        "Water",
        "--json",
    ]));
    let merchant_id = merchant["merchant_id"].as_str().unwrap();
    let account = json(&unipay(&[
        "admin",
        "add-channel-account",
        "--database-url",
        &db,
        "--merchant",
        merchant_id,
        "--bank-merchant-id",
        "103881234560010",
        "--key-pfx",
        &format!("{d}/merchant.pfx"),
        "--key-password-file",
        &format!("{d}/merchant.pfx.password"),
        "--bank-certificate",
        trustpay,
        "--trx-url",
        "https://pay.abchina.com/ebus/trustpay/ReceiveMerchantTrxReqServlet",
        "--json",
    ]));
    assert!(
        account["bank_certificate_subject"]
            .as_str()
            .unwrap()
            .contains("MainServer.0001")
    );
    let pem_account = json(&unipay(&[
        "admin",
        "add-channel-account",
        "--database-url",
        &db,
        "--merchant",
        merchant_id,
        "--bank-merchant-id",
        "103881234560011",
        "--key-pem",
        &format!("{d}/merchant-key.pem"),
        "--bank-certificate",
        &format!("{d}/merchant.pem"),
        "--algorithm",
        "SHA256withRSA",
        "--trx-url",
        "https://pay.abchina.com/ebus/trustpay/ReceiveMerchantTrxReqServlet",
        "--json",
    ]));
    assert!(
        pem_account["channel_account_id"]
            .as_str()
            .unwrap()
            .starts_with("cha_")
    );
    let app = json(&unipay(&[
        "admin",
        "create-app",
        "--database-url",
        &db,
        "--merchant",
        merchant_id,
        "--name",
        "water",
        "--json",
    ]));
    assert_eq!(app["secret"].as_str().unwrap().len(), 40);
    assert!(app["app_id"].as_str().unwrap().starts_with("app_"));
    // The app routed to one of its merchant's accounts, then to each of them; an account of
    // no one's is refused.
    let app_id = app["app_id"].as_str().unwrap();
    let account_id = pem_account["channel_account_id"].as_str().unwrap();
    let routed = json(&unipay(&[
        "admin",
        "route-app",
        "--database-url",
        &db,
        "--app",
        app_id,
        "--channel-account",
        account_id,
        "--json",
    ]));
    assert_eq!(routed["channel_account_id"], account_id);
    let routed = json(&unipay(&[
        "admin",
        "route-app",
        "--database-url",
        &db,
        "--app",
        app_id,
        "--all-accounts",
        "--json",
    ]));
    assert!(routed["channel_account_id"].is_null());
    let refused = unipay(&[
        "admin",
        "route-app",
        "--database-url",
        &db,
        "--app",
        app_id,
        "--channel-account",
        "cha_nosuch",
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not one of merchant"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Nor may a new app be made routed to an account that is not its merchant's.
    let refused = unipay(&[
        "admin",
        "create-app",
        "--database-url",
        &db,
        "--merchant",
        merchant_id,
        "--name",
        "elsewhere",
        "--channel-account",
        "cha_nosuch",
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not one of merchant"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let text = unipay(&[
        "admin",
        "create-app",
        "--database-url",
        &db,
        "--merchant",
        merchant_id,
        "--name",
        "water2",
    ]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("secret: "));

    // An app's default notify_url follows the API's rules: http(s), and not an internal address.
    for notify_url in [
        "ftp://water.example/notify",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:8080/notify",
    ] {
        let refused = unipay(&[
            "admin",
            "create-app",
            "--database-url",
            &db,
            "--merchant",
            merchant_id,
            "--name",
            "water3",
            "--notify-url",
            notify_url,
        ]);
        assert!(!refused.status.success(), "{notify_url} taken");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("notify_url"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
    }
    // The bank is spoken to over https; plain http only to a simulator on this machine.
    let plain = unipay(&[
        "admin",
        "add-channel-account",
        "--database-url",
        &db,
        "--merchant",
        merchant_id,
        "--bank-merchant-id",
        "103881234560012",
        "--key-pem",
        &format!("{d}/merchant-key.pem"),
        "--bank-certificate",
        &format!("{d}/merchant.pem"),
        "--trx-url",
        "http://pay.abchina.com/ebus/trustpay/ReceiveMerchantTrxReqServlet",
    ]);
    assert!(!plain.status.success(), "a plain-http trx_url taken");
    assert!(
        String::from_utf8_lossy(&plain.stderr).contains("https"),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let anomalies = json(&unipay(&[
        "admin",
        "list-anomalies",
        "--database-url",
        &db,
        "--json",
    ]));
    assert_eq!(anomalies["anomalies"].as_array().unwrap().len(), 0);

    let wrong_password = unipay(&[
        "admin",
        "add-channel-account",
        "--database-url",
        &db,
        "--merchant",
        merchant_id,
        "--bank-merchant-id",
        "103881234560012",
        "--key-pfx",
        &format!("{d}/merchant.pfx"),
        "--bank-certificate",
        trustpay,
        "--trx-url",
        "https://pay.abchina.com/x",
        "--json",
    ]);
    assert!(!wrong_password.status.success());
    let no_merchant = unipay(&[
        "admin",
        "create-app",
        "--database-url",
        &db,
        "--merchant",
        "mch_none",
        "--name",
        "x",
    ]);
    assert!(!no_merchant.status.success());
    assert!(String::from_utf8_lossy(&no_merchant.stderr).contains("no merchant"));
    let no_event = unipay(&["admin", "resend-event", "--database-url", &db, "evt_none"]);
    assert!(!no_event.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Proves `unipay init` writes a configuration the server accepts, a key pair and a KEK, each
/// readable by its owner only, and that the database `migrate` creates with it is too.
#[test]
fn init_writes_a_config_and_keys() {
    let dir = std::env::temp_dir().join(format!("unipay-init-{}", std::process::id()));
    let output = unipay_bare(&["init", "--dir", &dir.display().to_string()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.join("unipay.toml").exists());
    assert!(dir.join("keys/merchant-key.pem").exists());
    let again = unipay_bare(&["init", "--dir", &dir.display().to_string()]);
    assert!(
        !again.status.success(),
        "does not overwrite without --force"
    );
    let migrate = unipay_bare(&[
        "migrate",
        "--config",
        &dir.join("unipay.toml").display().to_string(),
        "--database-url",
        &format!("sqlite://{}/data/unipay.db", dir.display()),
    ]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    let config = std::fs::read_to_string(dir.join("unipay.toml")).unwrap();
    assert!(config.contains("[secrets]") && config.contains("kek_file = "));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |path: &str| {
            std::fs::metadata(dir.join(path))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        for file in [
            "unipay.toml",
            "keys/secrets.kek",
            "keys/merchant-key.pem",
            "keys/merchant.cer",
            "keys/merchant.pem",
            "data/unipay.db",
        ] {
            assert_eq!(mode(file), 0o600, "{file}");
        }
        for folder in ["keys", "data"] {
            assert_eq!(mode(folder), 0o700, "{folder}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
