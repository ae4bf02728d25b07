//! 国密 SM2 certificate signing (signMethod 21) end to end: an account whose key is an SM2
//! certificate key, kept sealed like any other, is paid through the gateway's SM2-signed
//! answers and back notification; a tampered notification and one signed under the wrong SM2
//! user ID are rejected, recorded and change nothing.

use crate::harness::World;
use crate::unionpay::{
    SM2_MERCHANT_FILE, Version, assert_back_notices_rejected, pay_at_gateway, start_gateway_for,
    with_field,
};
use unipay_banksim::unionpay::sm2_authority::{SM2_SIGN_FILE, SM2_SIGN_KEY_FILE};
use unipay_banksim::unionpay::sm2_certificate::{DEFAULT_USER_ID, Sm2KeyAndCertificate};
use unipay_channel_unionpay::signing::{MessageSigner, Sm2CertificateSigner, Version as Acp};
use unipay_channel_unionpay::{Charset, Fields};

/// `notice` signed again with the gateway's own SM2 key, but under GM/T 0009's default user
/// ID instead of its certificate's serial: the key is right, what it signed is not what
/// UnionPay's rule makes a verifier hash.
fn signed_under_the_default_user_id(
    world: &World,
    notice: &[(String, String)],
) -> Vec<(String, String)> {
    let dir = world.dir().join("unionpay");
    let gateway = Sm2KeyAndCertificate::from_pem(
        &std::fs::read_to_string(dir.join(SM2_SIGN_KEY_FILE)).unwrap(),
        &std::fs::read(dir.join(SM2_SIGN_FILE)).unwrap(),
    )
    .unwrap();
    let signer = Sm2CertificateSigner::with_cert_id(&gateway.key, DEFAULT_USER_ID).unwrap();
    let mut fields = Fields::new();
    for (k, v) in notice {
        if k != "signature" {
            fields.set(k, v);
        }
    }
    let signed = Charset::Utf8.encode(&fields.string_to_sign()).unwrap();
    let signature = signer
        .signature(Acp::V5_1_0, Charset::Utf8, &signed)
        .unwrap();
    let mut resigned: Vec<(String, String)> = notice
        .iter()
        .filter(|(k, _)| k != "signature")
        .cloned()
        .collect();
    resigned.push(("signature".into(), signature));
    resigned
}

/// Proves an account signing with an SM2 certificate (signMethod 21) pays end to end, its key
/// sealed at rest, and that a notification tampered with or signed under another user ID is
/// rejected, recorded and changes nothing.
pub async fn unionpay_sm2_account_pays_and_a_wrongly_signed_notification_is_rejected(
    world: &mut World,
) {
    let gateway = start_gateway_for(world, Version::Sm2).await;
    let (payment, _, notice) = pay_at_gateway(world, "UP-SM2-1").await;
    let field = |key: &str| {
        notice
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(field("signMethod").as_deref(), Some("21"), "{notice:?}");
    let carried = field("signPubKeyCert").expect("the gateway's SM2 certificate is carried");
    assert!(carried.contains("\r\n"), "its PEM lines end in CR LF");
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded", "the SM2-signed back notification");
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;

    // The SM2 key is stored only sealed.
    let key_file = std::fs::read_to_string(world.dir().join(SM2_MERCHANT_FILE)).unwrap();
    let key_lines: Vec<&str> = key_file
        .split("-----END PRIVATE KEY-----")
        .next()
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("-----") && line.len() >= 40)
        .collect();
    assert!(!key_lines.is_empty());
    crate::secrets_at_rest::assert_no_secret_stored(world, &key_lines).await;

    let tampered = with_field(&notice, "txnAmt", "1");
    let other_user_id = signed_under_the_default_user_id(world, &notice);
    let rejected =
        assert_back_notices_rejected(world, &gateway, &payment.id, &[&tampered, &other_user_id])
            .await;
    assert_eq!(
        rejected.iter().filter(|r| r.contains("signature")).count(),
        2,
        "{rejected:?}"
    );
    world.check_invariants().await;
}
