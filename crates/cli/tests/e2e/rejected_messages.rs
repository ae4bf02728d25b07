//! Bank messages that must not be believed change nothing: forged, tampered, wrong-merchant
//! and unknown-number messages to the mandate and identity callbacks (the payment callback's
//! are in `notifications.rs`), results that contradict a final state, and a refund answer that
//! contradicts a final refund. Each is kept for an operator (a rejected message, or an entry on
//! the timeline) and nothing else is written: no state change, no notification, no ledger
//! entry — checked over every table a request can write, and on the rows themselves.

use crate::harness::{BANK_MERCHANT_ID, World};
use base64::Engine;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use unipay_channel_abc::crypto::{PrivateKey, SignatureAlgorithm};
use unipay_channel_abc::messages::{AgentSignResultNotification, IdentityResultNotification};
use unipay_channel_abc::wire::build_notification;

/// A MerchantID that is not ours.
const OTHER_MERCHANT: &str = "103880000000001";

fn bank_key(world: &World) -> PrivateKey {
    let pem = std::fs::read_to_string(world.dir().join("bank/banksim-key.pem")).unwrap();
    PrivateKey::from_pem(&pem).unwrap()
}

fn signed(xml: &str, key: &PrivateKey) -> String {
    build_notification(xml, key, SignatureAlgorithm::Sha1WithRsa)
}

/// A genuine message changed in transit: `from` replaced by `to` after it was signed.
fn tampered(genuine: &str, from: &str, to: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let text = String::from_utf8_lossy(&engine.decode(genuine).unwrap()).into_owned();
    assert!(text.contains(from), "{from} is in the message");
    engine.encode(text.replace(from, to).as_bytes())
}

/// Posts `MSG` to `/callbacks/{account}{suffix}` and returns the status.
async fn post_msg(world: &World, account: &str, suffix: &str, msg: &str) -> u16 {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("MSG", msg)
        .finish();
    world
        .http
        .post(format!("{}/callbacks/{account}{suffix}", world.server_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The bank's date and time now, as its messages write them (UTC+8).
fn host_now() -> (String, String) {
    let beijing = chrono::Utc::now() + chrono::Duration::hours(8);
    (
        beijing.format("%Y/%m/%d").to_string(),
        beijing.format("%H:%M:%S").to_string(),
    )
}

/// The reasons of the rejected messages kept so far, for the channel account.
async fn rejected_reasons(world: &World) -> Vec<String> {
    let store = world.store().await;
    let rejected = store.list_bank_messages(Some("rejected")).await.unwrap();
    store.close().await;
    rejected.into_iter().map(|m| m.reason).collect()
}

fn signing_result(merchant_id: &str, sign_no: &str, code: &str, card: &str) -> String {
    let (host_date, host_time) = host_now();
    AgentSignResultNotification {
        return_code: code.into(),
        error_message: if code == "0000" { "" } else { "客户拒绝" }.into(),
        merchant_id: merchant_id.into(),
        order_no: sign_no.into(),
        trx_type: "AGENTSIGN".into(),
        agent_sign_no: "AS20261127000001".into(),
        last4_card_no: card.into(),
        host_date,
        host_time,
        notify_type: "1".into(),
    }
    .to_xml()
}

/// Proves signing results that must not be believed — a forged signature, a wrong MerchantID,
/// an unknown signing number, a genuine result altered in transit, bytes that are no message,
/// and any message to a channel account we do not have — are answered 400 (404), kept as
/// rejected (the last not at all), and change nothing else: the pending mandate is the same
/// row, nothing is notified. The customer's genuine signing then activates it once, and a
/// genuine failure reported after that is kept and changes nothing either.
pub async fn rejected_signing_results_change_nothing(world: &mut World) {
    let mandate = crate::mandates::create_mandate(world, "MDT-FORGE", None).await;
    let id = mandate["id"].as_str().unwrap().to_string();
    let sign_no = mandate["channel_sign_no"].as_str().unwrap().to_string();
    world.postpone_janitor("mandates", &id).await;
    let key = bank_key(world);
    let forger = PrivateKey::generate(1024).unwrap();
    let card = "9999";
    let genuine = signed(
        &signing_result(BANK_MERCHANT_ID, &sign_no, "0000", card),
        &key,
    );
    let rejected = [
        signed(
            &signing_result(BANK_MERCHANT_ID, &sign_no, "0000", card),
            &forger,
        ),
        signed(
            &signing_result(OTHER_MERCHANT, &sign_no, "0000", card),
            &key,
        ),
        signed(
            &signing_result(BANK_MERCHANT_ID, "NOSUCHSIGN0001", "0000", card),
            &key,
        ),
        tampered(&genuine, card, "1111"),
        "not base64!".to_string(),
    ];
    let store = world.store().await;
    let before_row = store.get_mandate(&id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    let account = world.channel_account_id.clone();
    for msg in &rejected {
        assert_eq!(
            post_msg(world, &account, "/mandates", msg).await,
            400,
            "{msg}"
        );
    }
    assert_eq!(
        post_msg(world, "ca_nosuchaccount", "/mandates", &genuine).await,
        404,
        "an account we do not have"
    );
    // A repeat of a rejected message is the same record, seen again.
    assert_eq!(
        post_msg(world, &account, "/mandates", &rejected[0]).await,
        400
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    world
        .assert_stored(
            &before,
            &[("bank_messages", rejected.len() as i64)],
            "rejected signing results",
        )
        .await;
    assert_eq!(
        store.get_mandate(&id).await.unwrap().unwrap(),
        before_row,
        "the mandate is the same row"
    );
    assert!(world.receiver.events_for(&id).is_empty());
    let reasons = rejected_reasons(world).await;
    for expected in ["signature", "merchant", "unknown signing"] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected} in {reasons:?}"
        );
    }

    // The customer's own signing, delivered by the bank, is believed, once.
    crate::mandates::customer_signs(world, &mandate, Some("6228480000000000077")).await;
    let active = crate::mandates::wait_mandate(world, &id, "active").await;
    assert_eq!(active["card_masked"], "****0077");
    world.wait_for_events(&id, 1).await;

    // A genuine failure reported for the active mandate contradicts it: kept, nothing else.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before_row = store.get_mandate(&id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    let refused = signed(
        &signing_result(BANK_MERCHANT_ID, &sign_no, "2409", ""),
        &key,
    );
    let status = post_msg(world, &account, "/mandates", &refused).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after_row = store.get_mandate(&id).await.unwrap().unwrap();
    assert_eq!(after_row, before_row, "the active mandate stays ({status})");
    world
        .assert_stored(
            &before,
            &[("bank_messages", 1), ("mandate_events", 1)],
            "a failure contradicting an active mandate",
        )
        .await;
    let heard: Vec<String> = world
        .receiver
        .events_for(&id)
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(heard, ["mandate.active"]);
    store.close().await;
}

/// An identity result about `card_no`: it carries no number of ours, only the card and
/// certificate it is about.
fn identity_result(merchant_id: &str, card_no: &str, code: &str) -> String {
    let (host_date, host_time) = host_now();
    IdentityResultNotification {
        return_code: code.into(),
        error_message: if code == "0000" { "" } else { "信息不符" }.into(),
        merchant_id: merchant_id.into(),
        bank_card_no: card_no.into(),
        certificate_no: "440304198506123738".into(),
        account_name: String::new(),
        host_date,
        host_time,
    }
    .to_xml()
}

const IDENTITY_CARD: &str = "6228480418273645300";

/// Proves identity results that must not be believed — forged, wrong MerchantID, at the
/// address of an unknown verification, about another card, altered in transit, not a message,
/// to an account we do not have —
/// are answered 400 (404), kept as rejected (the last not at all), and change nothing else:
/// the pending verification is the same row, nothing is notified. The customer's genuine
/// confirmation then matches it once; a genuine "not matched" after that is kept and changes
/// nothing either.
pub async fn rejected_identity_results_change_nothing(world: &mut World) {
    let person = json!({
        "card_no": "6228480418273645300",
        "name": "上官飞燕",
        "certificate_type": "I",
        "certificate_no": "440304198506123738",
        "mobile": "13912873400",
    });
    let registered = world
        .http
        .post(format!("{}/sim/identities", world.bank_url))
        .json(&person)
        .send()
        .await
        .unwrap();
    assert!(registered.status().is_success());
    let mut body = person.clone();
    body["out_verify_no"] = json!("ID-FORGE-1");
    body["mode"] = json!("redirect");
    body["customer_type"] = json!("person");
    body["return_url"] = json!("https://shop.example/identity/done");
    let created = world
        .client
        .send(
            "POST",
            "/v1/identity-verifications",
            body.to_string().as_bytes(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    let id = created["id"].as_str().unwrap().to_string();
    let store = world.store().await;
    let before_row = store.get_identity_verification(&id).await.unwrap().unwrap();
    let verify_no = before_row.verify_no.clone();
    let key = bank_key(world);
    let forger = PrivateKey::generate(1024).unwrap();
    let genuine = signed(
        &identity_result(BANK_MERCHANT_ID, IDENTITY_CARD, "0000"),
        &key,
    );
    let here = format!("/identity/{verify_no}");
    let rejected = [
        (
            here.clone(),
            signed(
                &identity_result(BANK_MERCHANT_ID, IDENTITY_CARD, "0000"),
                &forger,
            ),
        ),
        (
            here.clone(),
            signed(
                &identity_result(OTHER_MERCHANT, IDENTITY_CARD, "0000"),
                &key,
            ),
        ),
        ("/identity/NOSUCHVERIFY01".to_string(), genuine.clone()),
        (
            here.clone(),
            signed(
                &identity_result(BANK_MERCHANT_ID, "6228480000000001234", "0000"),
                &key,
            ),
        ),
        (
            here.clone(),
            tampered(
                &signed(
                    &identity_result(BANK_MERCHANT_ID, IDENTITY_CARD, "2401"),
                    &key,
                ),
                "<ReturnCode>2401</ReturnCode>",
                "<ReturnCode>0000</ReturnCode>",
            ),
        ),
        (here.clone(), "not base64!".to_string()),
    ];
    let before = world.row_counts().await;
    let account = world.channel_account_id.clone();
    for (path, msg) in &rejected {
        assert_eq!(
            post_msg(world, &account, path, msg).await,
            400,
            "{path} {msg}"
        );
    }
    assert_eq!(
        post_msg(world, "ca_nosuchaccount", &here, &genuine).await,
        404,
        "an account we do not have"
    );
    assert_eq!(post_msg(world, &account, &here, &rejected[0].1).await, 400);
    tokio::time::sleep(Duration::from_millis(300)).await;
    world
        .assert_stored(
            &before,
            &[("bank_messages", rejected.len() as i64)],
            "rejected identity results",
        )
        .await;
    assert_eq!(
        store.get_identity_verification(&id).await.unwrap().unwrap(),
        before_row,
        "the verification is the same row"
    );
    assert!(world.receiver.events_for(&id).is_empty());
    let reasons = rejected_reasons(world).await;
    for expected in [
        "signature",
        "merchant",
        "unknown verification",
        "another card",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected} in {reasons:?}"
        );
    }

    // The customer confirms on the bank's page: the bank's own result is believed, once.
    let verify_url = created["verify_url"].as_str().unwrap();
    let token = verify_url.split("TOKEN=").nth(1).unwrap();
    let decided = world
        .http
        .post(format!("{}/sim/identity/consumer", world.bank_url))
        .form(&[("TOKEN", token), ("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status().as_u16(), 200);
    let event = world
        .receiver
        .wait_for_event(&id, "identity.verified", Duration::from_secs(15))
        .await
        .expect("identity.verified arrives");
    let event: Value = serde_json::from_str(&event.body).unwrap();
    assert_eq!(event["data"]["status"], "matched");

    // A genuine "not matched" for the finished verification contradicts it: kept, nothing else.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before_row = store.get_identity_verification(&id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    let contradiction = signed(
        &identity_result(BANK_MERCHANT_ID, IDENTITY_CARD, "2401"),
        &key,
    );
    let status = post_msg(world, &account, &here, &contradiction).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        store.get_identity_verification(&id).await.unwrap().unwrap(),
        before_row,
        "the verification stays matched ({status})"
    );
    world
        .assert_stored(
            &before,
            &[("bank_messages", 1)],
            "a verdict contradicting a finished verification",
        )
        .await;
    assert_eq!(world.receiver.events_for(&id).len(), 1);
    store.close().await;
}

/// Proves a refund answer that contradicts a final refund changes nothing but the record an
/// operator needs. The refund is refused by the bank and failed (its reservation released,
/// `refund.failed` heard); then its first request, late on the way, reaches the bank, which
/// carries it out; then the answer to a query made by a janitor that claimed the refund while
/// it was still pending lands: "succeeded". It is kept (the message, a timeline entry, a
/// `refund_late_success` anomaly) and not applied: the refund stays failed, the payment's sums
/// stay, no ledger entry, no notification.
pub async fn refund_answer_contradicting_a_final_refund_changes_nothing(world: &mut World) {
    let payment = world.pay("RFD-CONTRA", 1_000, "server").await;
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    world.wait_for_events(&payment.id, 1).await;

    // The first Refund never reaches the bank: the refund stays pending.
    world
        .set_faults(json!({"refund": "lost", "refund_timeout_ms": 300}))
        .await;
    let refund = world
        .client
        .create_refund(
            &payment.id,
            &unipay_client::CreateRefund {
                out_refund_no: "R-CONTRA".into(),
                amount: 400,
                reason: None,
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(refund.status, "pending", "{refund:?}");
    let store = world.store().await;
    // What a janitor claiming it now holds.
    let claimed = store.get_refund(&refund.id).await.unwrap().unwrap();
    // The janitor's own query hears "no such refund" and sends it again: refused.
    world.set_faults(json!({"refund": "reject"})).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let failed = loop {
        let now = world.client.get_refund(&refund.id).await.unwrap();
        if now.status != "pending" || tokio::time::Instant::now() > deadline {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(failed.status, "failed", "{failed:?}");
    world
        .receiver
        .wait_for_event(&refund.id, "refund.failed", Duration::from_secs(15))
        .await
        .expect("refund.failed arrives");
    world.set_faults(json!({})).await;

    // The first request, late, reaches the bank, which now carries it out.
    let account = store
        .get_channel_account(&world.channel_account_id)
        .await
        .unwrap()
        .unwrap();
    let channel = unipay_server::channels::build_channel(&account).unwrap();
    let late = channel
        .refund(&unipay_core::channel::RefundRequest {
            order_no: payment.channel_order_no.to_string(),
            payment: unipay_core::channel::RefundedPayment {
                channel_trade_no: None,
                collected: unipay_core::Amount::from_fen(payment.amount).unwrap(),
                accounting_date: None,
                captured_preauth: false,
            },
            refund_no: claimed.refund_no.clone(),
            amount: unipay_core::Amount::from_fen(400).unwrap(),
            reason: String::new(),
            created_at_ms: claimed.created_at,
            result_notify_url: String::new(),
        })
        .await;
    assert!(late.is_ok(), "{late:?}");
    let bank = world.sim_order(&payment.channel_order_no).await;
    assert_eq!(bank["refunded_fen"], 400, "{bank}");

    // Quiet, then the janitor's answer lands, through the flow every answer takes.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let refund_row = store.get_refund(&refund.id).await.unwrap().unwrap();
    let payment_row = store.get_payment(&payment.id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    let path = world.dir().join("unipay.toml");
    let mut config = unipay_server::ServerConfig::load(Some(path.as_path())).unwrap();
    config.database_url = world.db_url();
    let node = unipay_server::AppState::new(
        world.store().await,
        config,
        Arc::new(unipay_core::SystemClock),
    )
    .unwrap();
    let after = unipay_server::flows::refunds::query_and_record(&node, &claimed)
        .await
        .unwrap();
    assert_eq!(after, refund_row, "the answer is not applied");
    tokio::time::sleep(Duration::from_millis(300)).await;
    world
        .assert_stored(
            &before,
            &[
                ("bank_messages", 1),
                ("payment_events", 1),
                ("anomalies", 1),
            ],
            "a success reported for a failed refund",
        )
        .await;
    assert_eq!(
        store.get_refund(&refund.id).await.unwrap().unwrap(),
        refund_row
    );
    assert_eq!(
        store.get_payment(&payment.id).await.unwrap().unwrap(),
        payment_row
    );
    let anomalies = store.list_anomalies().await.unwrap();
    assert!(
        anomalies
            .iter()
            .any(|a| a.kind == "refund_late_success" && a.payment_id == payment.id),
        "{anomalies:?}"
    );
    let timeline = store.list_payment_events(&payment.id).await.unwrap();
    let kept = timeline.last().unwrap();
    assert!(kept.kind.contains("rejected"), "{timeline:?}");
    assert!(kept.raw_sha256.is_some(), "named by the bank's answer");
    let heard: Vec<String> = world
        .receiver
        .events_for(&refund.id)
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(heard, ["refund.failed"]);
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 0);
    store.close().await;
}
