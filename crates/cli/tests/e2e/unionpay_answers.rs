//! How UnionPay's answers other than a plain success are read end to end: a result that only
//! the browser brings back, a payer who declines, queries that answer "unknown" (03/04/05)
//! before the truth, and, for an account speaking 5.0.0, a message naming a certificate the
//! account was not given.

use crate::harness::World;
use crate::unionpay::{
    Version, assert_back_notices_rejected, back_url, decide_at_gateway, merchant_signer,
    pay_at_gateway, post_form, set_gateway_faults, start_gateway, start_gateway_for, with_field,
};
use serde_json::json;
use unipay_channel_unionpay::Fields;
use unipay_channel_unionpay::signing::{MessageSigner, sign};
use unipay_channel_unionpay::wire::encode_form;
use unipay_core::payment::PaymentStatus;

/// The source recorded on the timeline entry that made the payment `status`.
async fn source_of(world: &World, payment_id: &str, status: &str) -> Vec<String> {
    let store = world.store().await;
    let events = store.list_payment_events(payment_id).await.unwrap();
    store.close().await;
    events
        .into_iter()
        .filter(|e| {
            e.to_status.as_deref() == Some(status) && e.from_status.as_deref() != Some(status)
        })
        .map(|e| e.source)
        .collect()
}

/// Proves the front notification alone (the back one lost, the janitor held off) makes the
/// payment a success, once, and the consumer goes on to the result page.
pub async fn unionpay_payment_by_front_notification_only(world: &mut World) {
    let gateway = start_gateway(world).await;
    set_gateway_faults(world, &gateway, json!({"notify": "drop"})).await;
    let (payment, front_url, notice) = decide_at_gateway(world, "UP-FRONT-1", "pay").await;
    world.postpone_janitor("payments", &payment.id).await;
    let response = world
        .http
        .post(&front_url)
        .form(&notice)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303, "on to the result page");
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    assert!(
        paid.channel_trade_no.is_some(),
        "the gateway's queryId kept"
    );
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
    assert_eq!(
        source_of(world, &payment.id, "succeeded").await,
        vec!["page_notification".to_string()],
        "made a success by the browser's message alone"
    );
    set_gateway_faults(world, &gateway, json!({})).await;
    world.check_invariants().await;
}

/// Proves a payer's decline at the gateway fails the payment with the gateway's reason, and
/// the business system hears `payment.failed` once.
pub async fn unionpay_decline_fails_the_payment(world: &mut World) {
    let _gateway = start_gateway(world).await;
    let (payment, front_url, notice) = decide_at_gateway(world, "UP-DECLINE-1", "decline").await;
    let code = notice
        .iter()
        .find(|(k, _)| k == "respCode")
        .map(|(_, v)| v.clone())
        .expect("the front notification carries the gateway's code");
    assert_ne!(code, "00", "a decline is not a success");
    let (status, _) = post_form(world, &front_url, &notice).await;
    assert!(status < 500, "the browser is answered: {status}");
    let failed = world
        .wait_for_payment(&payment.id, |p| p.status == "failed")
        .await;
    assert_eq!(failed.status, "failed");
    world
        .assert_notified_once(&payment.id, &["payment.failed"])
        .await;
    let store = world.store().await;
    let events = store.list_payment_events(&payment.id).await.unwrap();
    store.close().await;
    assert!(
        events
            .iter()
            .any(|e| e.to_status.as_deref() == Some("failed") && e.detail.contains(&code)),
        "the failure keeps the gateway's code {code}: {events:?}"
    );
    world.check_invariants().await;
}

/// Proves queries answering 03, 04 and 05 (state unknown) change nothing, and the success
/// the gateway then reports is applied once.
pub async fn unionpay_unknown_query_answers_then_success(world: &mut World) {
    let gateway = start_gateway(world).await;
    for (at, code) in ["03", "04", "05"].into_iter().enumerate() {
        set_gateway_faults(
            world,
            &gateway,
            json!({"notify": "drop", "query_orig_resp_code": code}),
        )
        .await;
        let (payment, _, _) = pay_at_gateway(world, &format!("UP-UNKNOWN-{at}")).await;
        // The janitor asks until it has heard "unknown" at least twice.
        let store = world.store().await;
        let mut queries = 0;
        for _ in 0..200 {
            queries = store
                .list_payment_events(&payment.id)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.source == "query")
                .count();
            if queries >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(queries >= 2, "the janitor asked: {queries} queries");
        let row = store.get_payment(&payment.id).await.unwrap().unwrap();
        store.close().await;
        assert_eq!(
            row.status,
            PaymentStatus::Pending,
            "origRespCode {code} decides nothing"
        );
        set_gateway_faults(world, &gateway, json!({"notify": "drop"})).await;
        let paid = world
            .wait_for_payment(&payment.id, |p| p.status == "succeeded")
            .await;
        assert_eq!(paid.status, "succeeded", "found once the gateway knows");
        world
            .assert_notified_once(&payment.id, &["payment.succeeded"])
            .await;
    }
    set_gateway_faults(world, &gateway, json!({})).await;
    world.check_invariants().await;
}

/// Proves an account speaking 5.0.0 is paid through its configured certificate, and that a
/// message signed by another key, naming that key's certificate by `certId`, is rejected,
/// recorded and changes nothing.
pub async fn unionpay_500_message_naming_another_certificate_is_rejected(world: &mut World) {
    let gateway = start_gateway_for(world, Version::V500).await;
    let (payment, _, notice) = pay_at_gateway(world, "UP-500-1").await;
    assert!(
        notice.iter().any(|(k, v)| k == "version" && v == "5.0.0"),
        "the account speaks 5.0.0: {notice:?}"
    );
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded", "the back notification verifies");
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;

    // The same notice, for an order still open, signed with the merchant's own key: its certId
    // names the merchant's certificate, which the account does not take as the gateway's.
    let (open, _, open_notice) = {
        set_gateway_faults(world, &gateway, json!({"notify": "drop"})).await;
        pay_at_gateway(world, "UP-500-2").await
    };
    world.postpone_janitor("payments", &open.id).await;
    let merchant = merchant_signer(world);
    let mut forged = Fields::new();
    for (k, v) in &open_notice {
        if k != "signature" && k != "certId" {
            forged.set(k, v);
        }
    }
    sign(&mut forged, &merchant as &dyn MessageSigner).unwrap();
    assert_ne!(
        forged.get("certId"),
        open_notice
            .iter()
            .find(|(k, _)| k == "certId")
            .map(|(_, v)| v.as_str()),
        "another certificate is named"
    );
    let body = encode_form(&forged, unipay_channel_unionpay::Charset::Utf8).unwrap();
    let store = world.store().await;
    let row = store.get_payment(&open.id).await.unwrap().unwrap();
    let before = world.row_counts().await;
    let back_url = back_url(world, &gateway);
    let response = world
        .http
        .post(&back_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400, "rejected");
    world
        .assert_stored(&before, &[("bank_messages", 1)], "the rejected message")
        .await;
    assert_eq!(
        store.get_payment(&open.id).await.unwrap().unwrap(),
        row,
        "nothing changed"
    );
    let rejected = store.list_bank_messages(Some("rejected")).await.unwrap();
    assert!(
        rejected.iter().any(|m| m.reason.contains("certId")),
        "{rejected:?}"
    );
    store.close().await;
    set_gateway_faults(world, &gateway, json!({})).await;
    world.check_invariants().await;
}

/// Proves an account signing with a secure key and SM3 (国密 signMethod 12) is paid end to end:
/// the cashier's form, the gateway's answers and its back notification all signed that way and
/// believed; the same notification with its amount changed is rejected and changes nothing.
pub async fn unionpay_sm3_secure_key_account_pays(world: &mut World) {
    let gateway = start_gateway_for(world, Version::SecureKeySm3).await;
    let (payment, _, notice) = pay_at_gateway(world, "UP-SM3-1").await;
    assert!(
        notice.iter().any(|(k, v)| k == "signMethod" && v == "12"),
        "the gateway answers the way the merchant signs: {notice:?}"
    );
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded", "the SM3-signed back notification");
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;

    let tampered = with_field(&notice, "txnAmt", "1");
    assert_back_notices_rejected(world, &gateway, &payment.id, &[&tampered]).await;
    world.check_invariants().await;
}
