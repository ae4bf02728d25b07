//! A UnionPay payment end to end: the simulator's UnionPay gateway as its own process, a
//! UnionPay channel account beside the world's ABC one, and a payment that names its bank.

use crate::harness::{World, admin, spawn_listening, unipay};
use serde_json::{Value, json};
use unipay_channel_unionpay::Fields;
use unipay_channel_unionpay::crypto::Certificate;
use unipay_channel_unionpay::signing::{MessageSigner, RsaCertificateSigner, sign};
use unipay_channel_unionpay::wire::encode_form;
use unipay_client::{CreatePayment, Payment};

pub(crate) const MER_ID: &str = "777290058110048";

/// The UnionPay gateway, its certificates on disk, and our account at it.
pub(crate) struct Gateway {
    pub(crate) url: String,
    pub(crate) channel_account_id: String,
    /// The gateway's own signing key: what a forger with a stolen key, or a test, signs with.
    pub(crate) bank_signer: RsaCertificateSigner,
    pub(crate) bank_certificate_pem: String,
    _process: tokio::process::Child,
}

pub(crate) async fn start_gateway(world: &World) -> Gateway {
    launch_gateway(world, Version::V510, &[]).await
}

/// The gateway started with `extra` simulator arguments.
pub(crate) async fn start_gateway_with(world: &World, extra: &[&str]) -> Gateway {
    launch_gateway(world, Version::V510, extra).await
}

/// The version of ACP the account speaks, and so how the gateway's messages are checked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    /// SHA-256; the gateway's certificate travels in each message and must chain to the
    /// configured root and middle.
    V510,
    /// SHA-1; the gateway's certificate is configured and named by `certId`.
    V500,
    /// 国密 signMethod 12: SM3 over the message and a secure key both sides hold; no
    /// certificate on either side.
    SecureKeySm3,
    /// 国密 signMethod 21: SM3withSM2 with the merchant's SM2 certificate key; the gateway's
    /// SM2 certificate travels in each message and must chain to its SM2 root and middle.
    Sm2,
}

/// The secure key the merchant and the gateway share in [`Version::SecureKeySm3`].
const SECURE_KEY: &str = "unipay-e2e-secure-key-12345678";

/// The gateway, and an account at it speaking `version`.
pub(crate) async fn start_gateway_for(world: &World, version: Version) -> Gateway {
    launch_gateway(world, version, &[]).await
}

/// The gateway started with `extra` simulator arguments, and an account at it speaking
/// `version`.
async fn launch_gateway(world: &World, version: Version, extra: &[&str]) -> Gateway {
    let (process, url, certs) = spawn_gateway(world, version, extra).await;
    let text = |key: &str| certs[key].as_str().unwrap().to_string();
    let dir = world.dir().join("unionpay");
    let dir_s = world.dir().display().to_string();
    let middle_certificate = format!("{dir_s}/unionpay/middle.pem");
    let (db_url, pfx, pfx_password, secure_key_file) = (
        world.db_url(),
        format!("{dir_s}/merchant.pfx"),
        format!("{dir_s}/merchant.pfx.password"),
        format!("{dir_s}/unionpay/secure.key"),
    );
    let (root, sign) = (
        format!("{dir_s}/unionpay/root.pem"),
        format!("{dir_s}/unionpay/sign.pem"),
    );
    let (sm2_key, sm2_root, sm2_middle) = (
        format!("{dir_s}/{SM2_MERCHANT_FILE}"),
        format!("{dir_s}/unionpay/sm2-root.pem"),
        format!("{dir_s}/unionpay/sm2-middle.pem"),
    );
    let mut args = vec![
        "add-channel-account",
        "--database-url",
        &db_url,
        "--merchant",
        &world.merchant_id,
        "--bank",
        "unionpay",
        "--mer-id",
        MER_ID,
        "--trx-url",
        &url,
    ];
    let signing = ["--sign-pfx", &pfx, "--key-password-file", &pfx_password];
    match version {
        Version::V510 => {
            args.extend(signing);
            args.extend(["--algorithm", "rsa-sha256", "--root-certificate", &root]);
            args.extend(["--middle-certificate", &middle_certificate]);
            // The simulator's signing certificate carries the test environment's CN.
            args.push("--accept-test-cn");
        }
        Version::V500 => {
            args.extend(signing);
            args.extend(["--algorithm", "rsa-sha1", "--bank-certificate", &sign]);
            args.push("--accept-test-cn");
        }
        Version::SecureKeySm3 => {
            std::fs::write(&secure_key_file, SECURE_KEY).unwrap();
            args.extend([
                "--secure-key-file",
                &secure_key_file,
                "--algorithm",
                "key-sm3",
            ]);
        }
        Version::Sm2 => {
            args.extend(["--sm2-key", &sm2_key, "--algorithm", "sm2"]);
            args.extend(["--root-certificate", &sm2_root]);
            args.extend(["--middle-certificate", &sm2_middle, "--accept-test-cn"]);
        }
    }
    args.push("--json");
    let account = admin(&args).await;
    let key_pem = std::fs::read_to_string(dir.join("unionpay-sign.key")).unwrap();
    let bank_certificate_pem = text("sign_pem");
    let bank_certificate = Certificate::from_pem(&bank_certificate_pem).unwrap();
    let key = unipay_channel_unionpay::channel::pem_block(&key_pem, "PRIVATE KEY").unwrap();
    Gateway {
        url,
        channel_account_id: account["channel_account_id"].as_str().unwrap().to_string(),
        bank_signer: RsaCertificateSigner::from_pkcs8_der(&key, &bank_certificate).unwrap(),
        bank_certificate_pem,
        _process: process,
    }
}

/// The simulator's UnionPay gateway as its own process, with the world's merchant registered
/// at it for `version` and its certificates written to `<world>/unionpay/` (`root.pem`,
/// `middle.pem`, `sign.pem`, `sm2-root.pem`, `sm2-middle.pem`); no channel account added.
pub(crate) async fn spawn_gateway(
    world: &World,
    version: Version,
    extra: &[&str],
) -> (tokio::process::Child, String, Value) {
    let dir = world.dir().join("unionpay");
    let mut command = unipay();
    command
        .args(["banksim", "--listen", "127.0.0.1:0"])
        .args(["--unionpay-listen", "127.0.0.1:0"])
        .args(["--unionpay-notify-schedule-ms", "0,300,300,300"])
        .args(extra)
        .arg("--key-dir")
        .arg(&dir);
    // The UnionPay listener announces itself first.
    let (process, url) = spawn_listening(command).await;
    let certs: Value = world
        .http
        .get(format!("{url}/sim/unionpay/certs"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = |key: &str| certs[key].as_str().unwrap().to_string();
    std::fs::write(dir.join("root.pem"), text("root_pem")).unwrap();
    std::fs::write(dir.join("sign.pem"), text("sign_pem")).unwrap();
    std::fs::write(dir.join("middle.pem"), text("middle_pem")).unwrap();
    std::fs::write(dir.join("sm2-root.pem"), text("sm2_root_pem")).unwrap();
    std::fs::write(dir.join("sm2-middle.pem"), text("sm2_middle_pem")).unwrap();
    // The merchant's certificate (the world's generated one) registered with the gateway.
    let merchant_pem = std::fs::read_to_string(world.dir().join("merchant.pem")).unwrap();
    let registered = world
        .http
        .post(format!("{url}/sim/unionpay/merchants"))
        .json(&match version {
            Version::SecureKeySm3 => json!({"mer_id": MER_ID, "secure_key": SECURE_KEY}),
            Version::Sm2 => {
                json!({"mer_id": MER_ID, "certificate_pem": sm2_merchant_certificate(world)})
            }
            _ => json!({"mer_id": MER_ID, "certificate_pem": merchant_pem}),
        })
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success(), "registers the merchant");
    (process, url, certs)
}

/// The merchant's SM2 key and certificate (one PEM file: PKCS#8 `PRIVATE KEY`, then the
/// `CERTIFICATE`), in the world's directory.
pub(crate) const SM2_MERCHANT_FILE: &str = "merchant-sm2.pem";

/// The merchant's SM2 certificate (PEM), its key and certificate made and written to
/// [`SM2_MERCHANT_FILE`] the first time: a self-issued certificate, as the gateway takes any
/// registered one.
fn sm2_merchant_certificate(world: &World) -> String {
    use unipay_banksim::unionpay::certificate::valid_for_days;
    use unipay_banksim::unionpay::sm2_certificate::issue_sm2;
    let merchant = issue_sm2(
        "unipay e2e SM2 merchant",
        valid_for_days(30).unwrap(),
        false,
        None,
    )
    .unwrap();
    let pem = merchant.certificate.pem();
    let file = format!("{}{pem}", merchant.key_pem().unwrap());
    std::fs::write(world.dir().join(SM2_MERCHANT_FILE), file).unwrap();
    pem
}

/// The first form of an HTML page: its action and its hidden fields, unescaped.
pub(crate) fn form_of(html: &str) -> (String, Vec<(String, String)>) {
    let form = &html[html.find("<form").expect("a form")..];
    let action = attribute(form, "action").expect("an action");
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("<input") {
        let tag = &rest[at..];
        let end = tag.find('>').unwrap();
        if let (Some(name), Some(value)) = (
            attribute(&tag[..end], "name"),
            attribute(&tag[..end], "value"),
        ) {
            fields.push((name, value));
        }
        rest = &tag[end..];
    }
    (action, fields)
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let open = format!(" {name}=\"");
    let start = tag.find(&open)? + open.len();
    let len = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + len]))
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').unwrap();
        let entity = &tail[1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ if entity.starts_with("#x") => {
                char::from_u32(u32::from_str_radix(&entity[2..], 16).unwrap()).unwrap()
            }
            _ => char::from_u32(entity[1..].parse().unwrap()).unwrap(),
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

pub(crate) async fn post_form(
    world: &World,
    url: &str,
    fields: &[(String, String)],
) -> (u16, String) {
    let response = world.http.post(url).form(fields).send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// Creates a payment through UnionPay, takes it to the gateway from the cashier and pays it
/// there; the front notification's form (its address and signed fields) is returned, not yet
/// sent on by the browser.
pub(crate) async fn pay_at_gateway(
    world: &World,
    out_trade_no: &str,
) -> (Payment, String, Vec<(String, String)>) {
    pay_amount_at_gateway(world, out_trade_no, 1234).await
}

/// As [`pay_at_gateway`], for `amount` fen.
pub(crate) async fn pay_amount_at_gateway(
    world: &World,
    out_trade_no: &str,
    amount: i64,
) -> (Payment, String, Vec<(String, String)>) {
    at_gateway(world, out_trade_no, amount, "pay", None).await
}

/// As [`pay_amount_at_gateway`], for a pre-authorisation (`02`): the gateway holds `amount`.
pub(crate) async fn hold_at_gateway(
    world: &World,
    out_trade_no: &str,
    amount: i64,
) -> (Payment, String, Vec<(String, String)>) {
    at_gateway(world, out_trade_no, amount, "pay", Some("manual")).await
}

/// As [`pay_at_gateway`], with the payer's `decision` on the gateway's page: `pay` or
/// `decline`.
pub(crate) async fn decide_at_gateway(
    world: &World,
    out_trade_no: &str,
    decision: &str,
) -> (Payment, String, Vec<(String, String)>) {
    at_gateway(world, out_trade_no, 1234, decision, None).await
}

async fn at_gateway(
    world: &World,
    out_trade_no: &str,
    amount: i64,
    decision: &str,
    capture: Option<&str>,
) -> (Payment, String, Vec<(String, String)>) {
    let payment = world
        .client
        .create_payment(&CreatePayment {
            out_trade_no: out_trade_no.into(),
            amount,
            currency: "CNY".into(),
            subject: "学费 Tuition".into(),
            channel: Some("unionpay".into()),
            capture: capture.map(str::to_string),
            ..Default::default()
        })
        .await
        .unwrap();
    let response = world
        .http
        .post(format!("{}/pay/{}", world.server_url, payment.id))
        .form(&[("payment_type", "07")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "the cashier's form to the bank"
    );
    let (action, fields) = form_of(&response.text().await.unwrap());
    let (status, page) = post_form(world, &action, &fields).await;
    assert_eq!(status, 200, "the gateway takes the signed form: {page}");
    let (payer_action, mut answer) = form_of(&page);
    answer.push(("decision".into(), decision.into()));
    let (status, front_page) = post_form(world, &payer_action, &answer).await;
    assert_eq!(status, 200);
    let (front_url, notice) = form_of(&front_page);
    (payment, front_url, notice)
}

/// Posts each of `notices` to the account's back notification address and proves every one
/// is rejected (400) and recorded, with nothing else stored and the payment unchanged; the
/// reasons recorded for rejected messages (of the whole world) are returned.
pub(crate) async fn assert_back_notices_rejected(
    world: &World,
    gateway: &Gateway,
    payment_id: &str,
    notices: &[&[(String, String)]],
) -> Vec<String> {
    let store = world.store().await;
    let row = store.get_payment(payment_id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    let back_url = back_url(world, gateway);
    for notice in notices {
        let (status, _) = post_form(world, &back_url, notice).await;
        assert_eq!(status, 400, "rejected");
    }
    world
        .assert_stored(
            &before,
            &[("bank_messages", notices.len() as i64)],
            "the rejected messages",
        )
        .await;
    assert_eq!(
        store.get_payment(payment_id).await.unwrap().unwrap(),
        row,
        "nothing changed"
    );
    let rejected = store.list_bank_messages(Some("rejected")).await.unwrap();
    store.close().await;
    rejected.into_iter().map(|m| m.reason).collect()
}

/// A notification as the gateway would sign it, with `changes` applied first.
pub(crate) fn bank_signed(
    gateway: &Gateway,
    notice: &[(String, String)],
    changes: &[(&str, &str)],
) -> Vec<u8> {
    let mut fields = Fields::new();
    for (k, v) in notice {
        if k != "signature" {
            fields.set(k, v);
        }
    }
    for (k, v) in changes {
        fields.set(k, v);
    }
    fields.set("signPubKeyCert", &gateway.bank_certificate_pem);
    sign(&mut fields, &gateway.bank_signer as &dyn MessageSigner).unwrap();
    encode_form(&fields, unipay_channel_unionpay::Charset::Utf8).unwrap()
}

/// Where the gateway posts back notifications for the account.
pub(crate) fn back_url(world: &World, gateway: &Gateway) -> String {
    format!(
        "{}/callbacks/{}",
        world.server_url, gateway.channel_account_id
    )
}

/// `notice` with `key` set to `value` and its signature left as it was: a tampered message.
pub(crate) fn with_field(
    notice: &[(String, String)],
    key: &str,
    value: &str,
) -> Vec<(String, String)> {
    notice
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                if k == key {
                    value.to_string()
                } else {
                    v.clone()
                },
            )
        })
        .collect()
}

/// The merchant's own key behind its own (self-issued) certificate, from the world's .pfx.
pub(crate) fn merchant_signer(world: &World) -> RsaCertificateSigner {
    let pfx = std::fs::read(world.dir().join("merchant.pfx")).unwrap();
    let password = std::fs::read_to_string(world.dir().join("merchant.pfx.password")).unwrap();
    RsaCertificateSigner::from_pkcs12(&pfx, password.trim()).unwrap()
}

pub async fn unionpay_payment_by_back_and_front_notifications(world: &mut World) {
    let gateway = start_gateway(world).await;
    let back_url = back_url(world, &gateway);

    // Paid at the gateway: the back notification makes it a success, once.
    let (payment, front_url, notice) = pay_at_gateway(world, "UP-1").await;
    assert_eq!(payment.channel, "unionpay");
    assert_eq!(payment.channel_account_id, gateway.channel_account_id);
    assert_ne!(payment.channel_account_id, world.channel_account_id);
    assert_eq!(front_url, format!("{back_url}/front"));
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded", "the back notification pays it");
    assert!(paid.channel_trade_no.is_some());
    // The front notification through the browser, twice, and the back one again: the browser
    // goes on to the result page, and nothing new happens.
    for _ in 0..2 {
        let response = world
            .http
            .post(&front_url)
            .form(&notice)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303, "on to the result page");
    }
    let (status, _) = post_form(world, &back_url, &notice).await;
    assert_eq!(status, 200);
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;

    // Messages that are not believed, each rejected and recorded, changing nothing.
    let store = world.store().await;
    let row = store.get_payment(&payment.id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    let tampered = form_body(&with_field(&notice, "txnAmt", "9234"));
    let wrong_merchant = bank_signed(&gateway, &notice, &[("merId", "777290058110049")]);
    let wrong_amount = bank_signed(&gateway, &notice, &[("txnAmt", "1")]);
    let unknown_order = bank_signed(&gateway, &notice, &[("orderId", "NOSUCHORDER0001")]);
    // Signed with the merchant's own key behind its own (self-issued) certificate: the
    // certificate does not chain to UnionPay's root.
    let mut untrusted = Fields::new();
    for (k, v) in &notice {
        if k != "signature" {
            untrusted.set(k, v);
        }
    }
    let merchant_pem = std::fs::read_to_string(world.dir().join("merchant.pem")).unwrap();
    untrusted.set("signPubKeyCert", &merchant_pem);
    let merchant = merchant_signer(world);
    sign(&mut untrusted, &merchant as &dyn MessageSigner).unwrap();
    let untrusted = encode_form(&untrusted, unipay_channel_unionpay::Charset::Utf8).unwrap();
    for body in [
        &tampered,
        &wrong_merchant,
        &wrong_amount,
        &unknown_order,
        &untrusted,
    ] {
        let response = world
            .http
            .post(&back_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "rejected");
    }
    world
        .assert_stored(
            &before,
            &[("bank_messages", 5)],
            "rejected UnionPay messages",
        )
        .await;
    assert_eq!(
        store.get_payment(&payment.id).await.unwrap().unwrap(),
        row,
        "nothing changed"
    );
    let rejected = store.list_bank_messages(Some("rejected")).await.unwrap();
    assert!(
        rejected.iter().any(|m| m.reason.contains("signature")),
        "{rejected:?}"
    );
    assert!(
        rejected.iter().any(|m| m.reason.contains("merchant")),
        "{rejected:?}"
    );
    assert!(
        rejected.iter().any(|m| m.reason.contains("amount")),
        "{rejected:?}"
    );
    assert!(
        rejected.iter().any(|m| m.reason.contains("unknown order")),
        "{rejected:?}"
    );

    // The back notification dropped, the browser never back: the janitor's query finds it.
    set_gateway_faults(world, &gateway, json!({"notify": "drop"})).await;
    let (lost, _, _) = pay_at_gateway(world, "UP-2").await;
    let found = world
        .wait_for_payment(&lost.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(found.status, "succeeded", "found by the janitor's query");
    world
        .assert_notified_once(&lost.id, &["payment.succeeded"])
        .await;
    set_gateway_faults(world, &gateway, json!({})).await;
    store.close().await;
    world.check_invariants().await;
}

fn form_body(fields: &[(String, String)]) -> Vec<u8> {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

pub(crate) async fn set_gateway_faults(world: &World, gateway: &Gateway, faults: Value) {
    let response = world
        .http
        .post(format!("{}/sim/unionpay/faults", gateway.url))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}
