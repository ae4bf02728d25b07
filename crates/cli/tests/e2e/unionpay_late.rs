//! A UnionPay payment past its deadline: closed only once the gateway's query says it is
//! unpaid, and a success the gateway reports afterwards kept as a late-success anomaly for
//! operators, never a second word to the business system.

use crate::harness::World;
use crate::unionpay::{form_of, post_form, start_gateway};
use std::time::Duration;
use unipay_client::CreatePayment;

pub async fn unionpay_late_success_is_an_anomaly(world: &mut World) {
    let _gateway = start_gateway(world).await;
    let payment = world
        .client
        .create_payment(&CreatePayment {
            out_trade_no: "UP-LATE-1".into(),
            amount: 250,
            currency: "CNY".into(),
            subject: "short-lived".into(),
            channel: Some("unionpay".into()),
            expires_in_seconds: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    // The consumer reaches the gateway's page, and leaves it open past the deadline.
    let response = world
        .http
        .post(format!("{}/pay/{}", world.server_url, payment.id))
        .form(&[("payment_type", "07")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "the form to the gateway");
    let (action, fields) = form_of(&response.text().await.unwrap());
    let (status, page) = post_form(world, &action, &fields).await;
    assert_eq!(status, 200, "the gateway's page: {page}");
    let closed = world
        .wait_for_payment(&payment.id, |p| p.status == "closed")
        .await;
    assert_eq!(closed.status, "closed", "closed once the query says unpaid");

    // Paid at the still-open page after all: the back notification is a late success.
    let (payer_action, mut answer) = form_of(&page);
    answer.push(("decision".into(), "pay".into()));
    let (status, _) = post_form(world, &payer_action, &answer).await;
    assert_eq!(status, 200);
    let store = world.store().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let anomalies = loop {
        let anomalies = store.list_anomalies().await.unwrap();
        if !anomalies.is_empty() || tokio::time::Instant::now() > deadline {
            break anomalies;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(anomalies.len(), 1, "{anomalies:?}");
    assert_eq!(anomalies[0].kind, "late_success");
    assert_eq!(anomalies[0].payment_id, payment.id);
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.status, "closed");
    world
        .assert_notified_once(&payment.id, &["payment.closed"])
        .await;
    store.close().await;
    world.check_invariants().await;
}
