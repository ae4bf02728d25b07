//! Requests the gateway refuses: a bad or tampered signature, an unknown certId or merId.

use super::common::*;
use super::front::front_pairs;
use unipay_channel_unionpay::Charset;
use unipay_channel_unionpay::messages::read_answer;
use unipay_channel_unionpay::wire::encode_form;

async fn front_refusal(sim: &Sim, body: Vec<u8>) -> String {
    let (status, page) = sim.post_form("/gateway/api/frontTransReq.do", body).await;
    assert_eq!(status, 400);
    String::from_utf8(page).unwrap()
}

#[tokio::test]
async fn tampered_amount_bad_signature_wrong_cert_id_and_unknown_merchant_are_refused() {
    let sim = start_sim(vec![0]).await;
    let (order_id, txn_time) = (order_id(), txn_time());
    let pairs = front_pairs(
        "5.1.0",
        "01",
        &order_id,
        &txn_time,
        "100",
        "http://127.0.0.1:9/n",
    );
    let (fields, _) = signed_form(&pairs, &rsa_signer());

    let mut tampered = fields.clone();
    tampered.set("txnAmt", "1");
    let page = front_refusal(&sim, encode_form(&tampered, Charset::Utf8).unwrap()).await;
    assert!(page.contains("respCode=11"), "{page}");

    let mut garbled = fields.clone();
    garbled.set("signature", "AAAA");
    let page = front_refusal(&sim, encode_form(&garbled, Charset::Utf8).unwrap()).await;
    assert!(page.contains("respCode=11"), "{page}");

    let mut wrong_cert = fields.clone();
    wrong_cert.set("certId", "12345");
    let page = front_refusal(&sim, encode_form(&wrong_cert, Charset::Utf8).unwrap()).await;
    assert!(page.contains("respCode=11"), "{page}");

    let mut pairs_unknown = pairs.clone();
    pairs_unknown.retain(|(k, _)| *k != "merId");
    pairs_unknown.push(("merId", "777290058119999"));
    let (_, body) = signed_form(&pairs_unknown, &rsa_signer());
    let page = front_refusal(&sim, body).await;
    assert!(page.contains("respCode=31"), "{page}");

    // Nothing was booked by the refused requests; the genuine one still goes through.
    let (_, body) = signed_form(&pairs, &rsa_signer());
    let (status, _) = sim.post_form("/gateway/api/frontTransReq.do", body).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_tampered_back_request_is_answered_11_and_the_answer_is_signed() {
    let sim = start_sim(vec![0]).await;
    let (request, _) = signed_form(
        &[
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("txnType", "04"),
            ("txnSubType", "00"),
            ("bizType", "000201"),
            ("merId", MER_ID),
            ("accessType", "0"),
            ("orderId", &order_id()),
            ("txnTime", &txn_time()),
            ("txnAmt", "100"),
            ("origQryId", "202612070000000000001"),
        ],
        &rsa_signer(),
    );
    let mut tampered = request.clone();
    tampered.set("txnAmt", "99999");
    let (status, answer) = sim
        .post_form(
            "/gateway/api/backTransReq.do",
            encode_form(&tampered, Charset::Utf8).unwrap(),
        )
        .await;
    assert_eq!(status, 200);
    let answer = read_answer(&answer, &tampered, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("11"));

    // Genuine but the original does not exist: 35.
    let (status, answer) = sim
        .post_form(
            "/gateway/api/backTransReq.do",
            encode_form(&request, Charset::Utf8).unwrap(),
        )
        .await;
    assert_eq!(status, 200);
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("35"));
}
