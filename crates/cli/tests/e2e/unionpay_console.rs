//! A UnionPay channel account added in the console: an admin uploads the merchant's signing
//! .pfx and the gateway's root and middle certificates, the list names the account's bank and
//! shows its key only by fingerprint, the key is sealed at rest, and a payment through the
//! account is paid at the gateway. An upload the gateway's rules cannot make an account of is
//! refused, audited, and adds nothing.

use crate::console_pages::{Console, PASSWORD};
use crate::harness::World;
use crate::unionpay::{MER_ID, Version, pay_at_gateway, spawn_gateway};
use base64::Engine;
use unipay_channel_unionpay::signing::RsaCertificateSigner;

pub async fn unionpay_account_added_in_the_console(world: &mut World) {
    let (_gateway, url, _certs) = spawn_gateway(world, Version::V510, &[]).await;
    world.create_console_user("ada", "admin", PASSWORD).await;
    let mut ada = Console::sign_in(world, "ada").await;
    let dir = world.dir();
    let pfx = std::fs::read(dir.join("merchant.pfx")).unwrap();
    let password = std::fs::read_to_string(dir.join("merchant.pfx.password")).unwrap();
    let root = std::fs::read(dir.join("unionpay/root.pem")).unwrap();
    let middle = std::fs::read(dir.join("unionpay/middle.pem")).unwrap();
    let upload = |root_given_as: &'static str| {
        let mut fields: Vec<(&str, Vec<u8>)> = vec![
            ("merchant_id", world.merchant_id.as_bytes().to_vec()),
            ("bank", b"unionpay".to_vec()),
            ("bank_merchant_id", MER_ID.as_bytes().to_vec()),
            ("key_pfx", pfx.clone()),
            ("key_password", password.trim_end().as_bytes().to_vec()),
            ("middle_certificate", middle.clone()),
            ("trx_url", url.as_bytes().to_vec()),
            ("accept_test_cn", b"on".to_vec()),
        ];
        // The root given as the middle: the gateway's signPubKeyCert could not chain to it.
        let given = if root_given_as == "middle" {
            &middle
        } else {
            &root
        };
        fields.push(("root_certificate", given.clone()));
        fields
    };
    let before = world.row_counts().await;
    let wrong = upload("middle");
    let refused = ada
        .post_multipart(
            "/console/admin/channel-accounts",
            &wrong
                .iter()
                .map(|(k, v)| (*k, v.as_slice()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert!(
        refused.location.contains("error=flash.bad_input"),
        "{} {}",
        refused.location,
        refused.body
    );
    world
        .assert_stored(
            &before,
            &[("audit_log", 1)],
            "a refused channel account upload",
        )
        .await;

    let right = upload("root");
    let added = ada
        .post_multipart(
            "/console/admin/channel-accounts",
            &right
                .iter()
                .map(|(k, v)| (*k, v.as_slice()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert!(
        added.location.contains("ok=flash.channel_account_added"),
        "{} {}",
        added.location,
        added.body
    );
    let accounts = ada.get("/console/admin/channel-accounts").await;
    let banks = accounts.attribute_of("channel-account-bank", "data-bank");
    assert_eq!(banks.len(), 2, "the world's ABC account and the new one");
    assert!(banks.contains(&"unionpay".to_string()), "{banks:?}");
    assert!(banks.contains(&"abc".to_string()), "{banks:?}");
    assert!(!accounts.body.contains("PRIVATE KEY"));
    let store = world.store().await;
    let account = store
        .list_channel_accounts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.channel == "unionpay")
        .expect("the uploaded account");
    assert_eq!(account.bank_merchant_id, MER_ID);
    assert_eq!(account.signature_algorithm, "rsa-sha256 test-cn");
    assert_eq!(account.payment_types, "07");
    store.close().await;
    // The key the .pfx holds is stored only sealed.
    let (key, _) = RsaCertificateSigner::read_pkcs12(&pfx, password.trim_end()).unwrap();
    let key = base64::engine::general_purpose::STANDARD.encode(key);
    let key_lines: Vec<&str> = key
        .as_bytes()
        .chunks(64)
        .filter_map(|l| std::str::from_utf8(l).ok())
        .collect();
    crate::secrets_at_rest::assert_no_secret_stored(world, &key_lines).await;

    // The account the console added takes the app's UnionPay payments.
    let (payment, _, _) = pay_at_gateway(world, "UP-CONSOLE-1").await;
    assert_eq!(payment.channel_account_id, account.id);
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    world.check_invariants().await;
}
