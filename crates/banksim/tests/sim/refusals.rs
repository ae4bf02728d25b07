//! Requests the platform refuses: always a signed answer with a code.

use crate::common::*;
use unipay_channel_abc::crypto::PrivateKey;

#[tokio::test]
async fn a_forged_signature_is_refused() {
    let sim = start_sim(vec![0]).await;
    let forger = PrivateKey::generate(1024).unwrap();
    let body = crate::wire::build_request(&pay_message("F1", "1.00", "1", "http://h/n"), &forger);
    let answer = sim.post_raw(body).await;
    assert_eq!(answer.code(), "1302");
    assert_eq!(answer.field("ErrorMessage"), "签名验证失败");
    // Nothing was registered.
    assert_eq!(sim.query("F1").await.code(), "2308");

    // Tampering with the signed bytes fails the same way.
    let mut body = crate::wire::build_request(
        &pay_message("F2", "1.00", "1", "http://h/n"),
        &sim.merchant_key,
    );
    let at = body.windows(4).position(|w| w == b"1.00").unwrap();
    body[at] = b'9';
    assert_eq!(sim.post_raw(body).await.code(), "1302");
}

#[tokio::test]
async fn unknown_merchants_and_garbage_are_refused() {
    let sim = start_sim(vec![0]).await;
    let message =
        pay_message("U1", "1.00", "1", "http://h/n").replace(MERCHANT_ID, "999999999999999");
    let body = crate::wire::build_request(&message, &sim.merchant_key);
    assert_eq!(sim.post_raw(body).await.code(), "2001");
    assert_eq!(sim.post_raw(b"hello".to_vec()).await.code(), "1301");
    assert_eq!(sim.post_raw(Vec::new()).await.code(), "1301");
    let odd_algorithm = br#"{"Message":{"Merchant":{"MerchantID":"1"}},"Signature-Algorithm":"MD5withRSA","Signature":"AAAA"}"#;
    assert_eq!(sim.post_raw(odd_algorithm.to_vec()).await.code(), "1304");
    // Signed but not JSON.
    let not_json = format!(r#"{{"Merchant":{{"MerchantID":"{MERCHANT_ID}"}}}} junk"#);
    let body = crate::wire::build_request(&not_json, &sim.merchant_key);
    assert_eq!(sim.post_raw(body).await.code(), "1301");
}

#[tokio::test]
async fn an_oversize_body_is_refused() {
    let sim = start_sim(vec![0]).await;
    let padded =
        pay_message("O1", "1.00", "1", "http://h/n").replace("测试订单", &"x".repeat(8_000));
    let body = crate::wire::build_request(&padded, &sim.merchant_key);
    assert!(body.len() > 8_000);
    assert_eq!(sim.post_raw(body).await.code(), "1303");
    let huge = vec![b'{'; 20_000];
    assert_eq!(sim.post_raw(huge).await.code(), "1303");
}
