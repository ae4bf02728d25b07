//! The JSON control API.

use crate::common::*;
use serde_json::json;
use unipay_channel_abc::crypto::Certificate;

#[tokio::test]
async fn health_certificates_and_merchants() {
    let sim = start_sim(vec![0]).await;
    assert_eq!(
        sim.http
            .get(sim.url("/sim/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let der = sim
        .http
        .get(sim.url("/sim/certificate"))
        .send()
        .await
        .unwrap();
    assert_eq!(der.headers()["content-type"], "application/pkix-cert");
    let der = der.bytes().await.unwrap();
    assert_eq!(&der[..], sim.certificate.to_der());
    let pem = sim
        .http
        .get(sim.url("/sim/certificate.pem"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        Certificate::from_der_or_pem(pem.as_bytes())
            .unwrap()
            .to_der(),
        sim.certificate.to_der()
    );

    // A second merchant registered through the API can transact.
    let (_, merchant_certificate) = merchant_identity();
    let (status, _) = sim
        .sim_post(
            "/sim/merchants",
            json!({ "merchant_id": "M2", "certificate_pem": merchant_certificate.to_pem() }),
        )
        .await;
    assert_eq!(status, 200);
    let message = pay_message("A1", "1.00", "1", "http://h/n").replace(MERCHANT_ID, "M2");
    assert_eq!(sim.transact(&message).await.code(), "0000");
    let (status, error) = sim
        .sim_post(
            "/sim/merchants",
            json!({ "merchant_id": "M3", "certificate_pem": "junk" }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(error["error"].is_string());
    let (status, _) = sim
        .sim_post(
            "/sim/merchants",
            json!({ "merchant_id": "M 3", "certificate_pem": merchant_certificate.to_pem() }),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn orders_api_errors() {
    let sim = start_sim(vec![0]).await;
    let missing = sim
        .http
        .get(sim.url("/sim/orders/NOPE"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let (status, _) = sim
        .sim_post("/sim/orders/NOPE/pay", json!({ "outcome": "success" }))
        .await;
    assert_eq!(status, 404);

    sim.pay_req("C1", "1.00", "1", "http://127.0.0.1:9/n").await;
    let order = sim.order("C1").await;
    assert_eq!(
        (order["status"].as_str(), order["state"].as_str()),
        (Some("01"), Some("unpaid"))
    );
    assert!(order["i_rsp_ref"].is_null());
    sim.pay("C1", "success", "none").await;
    // The same outcome again is fine; the other one conflicts.
    sim.pay("C1", "success", "none").await;
    let (status, error) = sim
        .sim_post(
            "/sim/orders/C1/pay",
            json!({ "outcome": "decline", "notify": "none" }),
        )
        .await;
    assert_eq!(status, 409);
    assert!(error["error"].as_str().unwrap().contains("04"));
    let (status, _) = sim
        .sim_post("/sim/orders/C1/pay", json!({ "outcome": "maybe" }))
        .await;
    assert_eq!(status, 400);

    // The same order number at two merchants needs ?merchant_id=.
    let (_, merchant_certificate) = merchant_identity();
    sim.sim_post(
        "/sim/merchants",
        json!({ "merchant_id": "M2", "certificate_pem": merchant_certificate.to_pem() }),
    )
    .await;
    let message = pay_message("C1", "1.00", "1", "http://h/n").replace(MERCHANT_ID, "M2");
    assert_eq!(sim.transact(&message).await.code(), "0000");
    let ambiguous = sim
        .http
        .get(sim.url("/sim/orders/C1"))
        .send()
        .await
        .unwrap();
    assert_eq!(ambiguous.status(), 400);
    let named = sim
        .http
        .get(sim.url("/sim/orders/C1?merchant_id=M2"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        named.json::<serde_json::Value>().await.unwrap()["status"],
        "01"
    );
}
