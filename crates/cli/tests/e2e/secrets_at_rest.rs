//! Secrets at rest: app secrets and channel private keys are kept sealed under a
//! key-encryption key (KEK) that lives in a file, never in the database; the KEK can be rotated
//! while the server runs; the server refuses to start without the right KEK; plaintext from
//! before is sealed by `unipay migrate`; and the files the product writes are its owner's alone.

use crate::harness::{World, test_kek_file, unipay, write_owner_only};
use std::path::Path;
use std::time::Duration;
use unipay_core::secrets::{Kek, Keyring};
use unipay_store::Store;
use unipay_store::secrets::{APP_SECRET, CHANNEL_PRIVATE_KEY};
use unipay_store::testing::{TestBackend, TestDatabase, test_keyring};

/// Everything the database holds, as text: SQLite's file and write-ahead log byte for byte
/// (what a stolen copy holds, pages not yet checkpointed included), or PostgreSQL's every row
/// of every table as JSON.
async fn database_bytes(world: &World) -> String {
    let url = world.db_url();
    match url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut text = String::new();
            for file in [path.to_string(), format!("{path}-wal")] {
                if let Ok(bytes) = std::fs::read(&file) {
                    text.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            text
        }
        None => {
            let store = world.store().await;
            let dump = store
                .dump_text_for_test()
                .await
                .expect("dumps the database");
            store.close().await;
            dump.into_iter()
                .map(|(table, value)| format!("{table}: {value}\n"))
                .collect()
        }
    }
}

/// The secrets of the world as they must never be stored: the app secret, any PEM private
/// key, the merchant key's own base64 lines, and the .pfx's password.
fn plain_secrets(world: &World, more: &[&str]) -> Vec<String> {
    let key_pem = std::fs::read_to_string(world.dir().join("merchant-key.pem")).expect("key");
    let mut secrets: Vec<String> = key_pem
        .lines()
        .filter(|line| !line.starts_with("-----") && line.len() >= 40)
        .map(str::to_string)
        .collect();
    secrets.push("PRIVATE KEY".into());
    secrets.push(world.secret.clone());
    let password =
        std::fs::read_to_string(world.dir().join("merchant.pfx.password")).expect("password");
    secrets.push(password.trim().to_string());
    secrets.extend(more.iter().map(|s| s.to_string()));
    secrets
}

/// Fails naming the first secret the database holds in plaintext.
pub async fn assert_no_secret_stored(world: &World, more: &[&str]) {
    let bytes = database_bytes(world).await;
    for secret in plain_secrets(world, more) {
        assert!(
            !bytes.contains(&secret),
            "the database holds a secret in plaintext: {}…",
            secret.chars().take(12).collect::<String>()
        );
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::metadata(path).ok()?.permissions().mode() & 0o777)
}

/// Proves that after an app is created, a channel account added from a .pfx, a payment paid
/// and the KEK rotated, neither the app secret nor any private key nor the .pfx password is
/// anywhere in the database, and that the database and key files are the owner's alone.
pub async fn no_secret_is_stored_in_plaintext(world: &mut World) {
    let payment = world.pay("AT-REST-1", 1_234, "server").await;
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    assert_no_secret_stored(world, &[]).await;
    let rotated = rotate_kek(world, &test_kek_file().display().to_string(), &[]).await;
    assert_eq!(rotated["unchanged"], 2, "{rotated}");
    assert_no_secret_stored(world, &[]).await;

    #[cfg(unix)]
    {
        if let Some(path) = world.db_url().strip_prefix("sqlite://") {
            for file in [
                path.to_string(),
                format!("{path}-wal"),
                format!("{path}-shm"),
            ] {
                assert_eq!(mode(Path::new(&file)), Some(0o600), "{file}");
            }
        }
        for file in [
            "merchant-key.pem",
            "merchant.pfx",
            "merchant.pfx.password",
            "bank/banksim-key.pem",
        ] {
            assert_eq!(mode(&world.dir().join(file)), Some(0o600), "{file}");
        }
    }
}

/// `unipay admin rotate-kek` with the current KEK file and the previous ones; its JSON.
async fn rotate_kek(world: &World, current: &str, previous: &[&str]) -> serde_json::Value {
    let output = unipay()
        .args([
            "admin",
            "rotate-kek",
            "--database-url",
            &world.db_url(),
            "--json",
        ])
        .env("UNIPAY_SECRETS_KEK_FILE", current)
        .env("UNIPAY_SECRETS_PREVIOUS_KEK_FILES", toml_list(previous))
        .output()
        .await
        .expect("rotate-kek runs");
    assert!(
        output.status.success(),
        "rotate-kek: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn toml_list(paths: &[&str]) -> String {
    let quoted: Vec<String> = paths
        .iter()
        .map(|p| toml::Value::String(p.to_string()).to_string())
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// `unipay serve` as the world starts it, with `kek` as its KEK (`None`: no KEK at all),
/// expected to refuse to start: its error output.
async fn serve_refusal(world: &World, kek: Option<&str>) -> String {
    let mut command = unipay();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url"])
        .arg(world.db_url())
        .arg("--config")
        .arg(world.dir().join("unipay.toml"));
    match kek {
        Some(kek) => command.env("UNIPAY_SECRETS_KEK_FILE", kek),
        None => command.env_remove("UNIPAY_SECRETS_KEK_FILE"),
    };
    let output = tokio::time::timeout(Duration::from_secs(30), command.output())
        .await
        .expect("serve ends within 30 s")
        .expect("serve runs");
    assert!(!output.status.success(), "serve started with kek {kek:?}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Proves the KEK rotates without downtime: a server knowing the new KEK and the old one
/// serves while `rotate-kek` re-seals (idempotently) every secret; once the old KEK is gone
/// everything still works; a sealed secret copied to another row does not open; and `serve`
/// refuses to start without a KEK or with one that opens nothing stored.
pub async fn the_kek_rotates_while_serving(world: &mut World) {
    let first = world.pay("KEK-1", 100, "server").await;
    let old_kek = test_kek_file().display().to_string();
    let new_hex = Kek::generate_hex();
    let new_kek = world.dir().join("new.kek");
    write_owner_only(&new_kek, new_hex.as_bytes());
    let new_kek = new_kek.display().to_string();
    let new_kid = Kek::from_hex(&new_hex).unwrap().id().to_string();
    let old_kid = test_keyring().current_id().to_string();

    // Every node first learns the new KEK as the current one, the old one still read. The
    // payment's notification is recorded first: a kill between its acknowledgment and the
    // record would deliver it again.
    world.wait_for_recorded_deliveries(&first.id).await;
    world.kill_server().await;
    world.server_env = vec![
        ("UNIPAY_SECRETS_KEK_FILE".into(), new_kek.clone()),
        (
            "UNIPAY_SECRETS_PREVIOUS_KEK_FILES".into(),
            toml_list(&[&old_kek]),
        ),
    ];
    world.start_server().await;
    let second = world.pay("KEK-2", 200, "server").await;

    let rotated = rotate_kek(world, &new_kek, &[&old_kek]).await;
    assert_eq!(rotated["kek_id"], new_kid.as_str());
    assert_eq!(rotated["resealed"], 2, "{rotated}");
    let again = rotate_kek(world, &new_kek, &[&old_kek]).await;
    assert_eq!(
        again["resealed"], 0,
        "a second run has nothing to do: {again}"
    );
    assert_eq!(again["unchanged"], 2);
    // Every stored value, as the database answers (its files may still hold freed pages).
    let store = world.store().await;
    let values: String = store
        .dump_text_for_test()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, value)| value + "\n")
        .collect();
    store.close().await;
    assert!(!values.contains(&format!("v1:{old_kid}:")));
    assert_eq!(values.matches(&format!("v1:{new_kid}:")).count(), 2);

    // The old KEK removed: the secrets it sealed are all under the new one now.
    world.wait_for_recorded_deliveries(&second.id).await;
    world.kill_server().await;
    world.server_env = vec![("UNIPAY_SECRETS_KEK_FILE".into(), new_kek.clone())];
    world.start_server().await;
    for payment in [&first, &second] {
        let paid = world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
        assert_eq!(paid.status, "succeeded");
    }
    let third = world.pay("KEK-3", 300, "server").await;
    let paid = world
        .wait_for_payment(&third.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(
        paid.status, "succeeded",
        "the channel key opens under the new KEK"
    );

    // A sealed secret copied to another row does not open there.
    let new_keyring = std::sync::Arc::new(Keyring::new(Kek::from_hex(&new_hex).unwrap(), vec![]));
    let store = Store::connect(&world.db_url())
        .await
        .unwrap()
        .with_keyring(new_keyring);
    let other = unipay()
        .args(["admin", "create-app", "--database-url", &world.db_url()])
        .args([
            "--merchant",
            &world.merchant_id,
            "--name",
            "other",
            "--json",
        ])
        .env("UNIPAY_SECRETS_KEK_FILE", &new_kek)
        .output()
        .await
        .unwrap();
    assert!(
        other.status.success(),
        "{}",
        String::from_utf8_lossy(&other.stderr)
    );
    let other: serde_json::Value = serde_json::from_slice(&other.stdout).unwrap();
    let other_id = other["app_id"].as_str().unwrap();
    assert!(store.get_app(other_id).await.is_ok());
    store
        .execute_for_test(&format!(
            "UPDATE apps SET secret = (SELECT secret FROM apps WHERE id = '{}') WHERE id = '{other_id}'",
            world.app_id
        ))
        .await
        .unwrap();
    assert!(
        store.get_app(other_id).await.is_err(),
        "a moved seal does not open"
    );
    assert_eq!(
        store.get_app(&world.app_id).await.unwrap().unwrap().secret,
        world.secret
    );
    // The app's seal moved to the channel account's key column, then the key put back.
    for statement in [
        "CREATE TABLE kept_key AS SELECT id, private_key_pem FROM channel_accounts".to_string(),
        format!(
            "UPDATE channel_accounts SET private_key_pem = \
             (SELECT secret FROM apps WHERE id = '{}')",
            world.app_id
        ),
    ] {
        store.execute_for_test(&statement).await.unwrap();
    }
    assert!(
        store
            .get_channel_account(&world.channel_account_id)
            .await
            .is_err()
    );
    for statement in [
        "UPDATE channel_accounts SET private_key_pem = \
         (SELECT k.private_key_pem FROM kept_key k WHERE k.id = channel_accounts.id)",
        "DROP TABLE kept_key",
    ] {
        store.execute_for_test(statement).await.unwrap();
    }
    assert!(
        store
            .get_channel_account(&world.channel_account_id)
            .await
            .is_ok()
    );
    // The database refuses plaintext whatever writes it.
    assert!(
        store
            .execute_for_test(&format!(
                "UPDATE apps SET secret = 'plain' WHERE id = '{other_id}'"
            ))
            .await
            .is_err()
    );
    store
        .execute_for_test(&format!("DELETE FROM apps WHERE id = '{other_id}'"))
        .await
        .unwrap();
    store.close().await;

    // No KEK, or only the removed one: serve refuses to start, saying why.
    let missing = serve_refusal(world, None).await;
    assert!(missing.contains("secrets.kek_file is not set"), "{missing}");
    let stale = serve_refusal(world, Some(&old_kek)).await;
    assert!(stale.contains("not configured"), "{stale}");
}

/// Proves plaintext secrets left by an older release are sealed by `unipay migrate` (which
/// refuses to call the migration done without a KEK), open to what they were, and that the
/// database refuses plaintext afterwards.
pub async fn migrate_seals_plaintext_from_before(world: &mut World) {
    let backend = match world.db.as_ref().map(TestDatabase::backend) {
        Some(TestBackend::Postgres) => TestBackend::Postgres,
        _ => TestBackend::Sqlite,
    };
    let (db, store) = TestDatabase::store_before_migration(backend, 11)
        .await
        .unwrap()
        .expect("the world's backend is reachable");
    let key_pem = std::fs::read_to_string(world.dir().join("merchant-key.pem")).unwrap();
    let certificate = std::fs::read_to_string(world.dir().join("bank/banksim.pem")).unwrap();
    let secret = "an-old-plaintext-app-secret-of-40-chars!";
    for statement in [
        "INSERT INTO merchants (id, name, created_at) VALUES ('mch_old', 'Old', 1)".to_string(),
        format!(
            "INSERT INTO channel_accounts (id, merchant_id, channel, bank_merchant_id, \
             private_key_pem, bank_certificate_pem, signature_algorithm, trx_url, payment_types, \
             notify_type, cutover_hour, created_at) VALUES ('cha_old', 'mch_old', 'abc', \
             '103881234560010', '{key_pem}', '{certificate}', 'SHA1withRSA', 'http://127.0.0.1:1/', \
             'A', 'server', 23, 1)"
        ),
        format!(
            "INSERT INTO apps (id, merchant_id, name, secret, status, created_at) \
             VALUES ('app_old', 'mch_old', 'old', '{secret}', 'active', 1)"
        ),
    ] {
        store.execute_for_test(&statement).await.unwrap();
    }
    assert_eq!(store.plaintext_secret_count().await.unwrap(), 2);
    store.close().await;

    let migrate = |kek: Option<String>| {
        let mut command = unipay();
        command.args(["migrate", "--database-url", &db.url]);
        match kek {
            Some(kek) => command.env("UNIPAY_SECRETS_KEK_FILE", kek),
            None => command.env_remove("UNIPAY_SECRETS_KEK_FILE"),
        };
        command.output()
    };
    let without = migrate(None).await.unwrap();
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("2 stored secrets are plaintext"));
    let with = migrate(Some(test_kek_file().display().to_string()))
        .await
        .unwrap();
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );

    let store = Store::connect(&db.url)
        .await
        .unwrap()
        .with_keyring(test_keyring());
    assert_eq!(store.plaintext_secret_count().await.unwrap(), 0);
    assert_eq!(
        store.get_app("app_old").await.unwrap().unwrap().secret,
        secret
    );
    let account = store.get_channel_account("cha_old").await.unwrap().unwrap();
    assert_eq!(account.private_key_pem, key_pem);
    let stored: String = store
        .dump_text_for_test()
        .await
        .unwrap()
        .into_iter()
        .map(|(_, value)| value)
        .collect();
    assert!(!stored.contains(secret) && !stored.contains("PRIVATE KEY"));
    for (column, id) in [(APP_SECRET, "app_old"), (CHANNEL_PRIVATE_KEY, "cha_old")] {
        let (table, column) = column.split_once('.').unwrap();
        let refused = store
            .execute_for_test(&format!(
                "UPDATE {table} SET {column} = 'plain' WHERE id = '{id}'"
            ))
            .await;
        assert!(refused.is_err(), "{table}.{column} refuses plaintext");
    }
    store.close().await;
    db.drop_database().await.unwrap();
}
