//! Front transactions: consume and pre-authorization through the payer's page, their front
//! and back notifications, and the query that follows.

use super::common::*;
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use sha2::{Digest, Sha256};
use unipay_channel_unionpay::messages::{
    NotifiedOutcome, OriginalState, QueryOutcome, read_answer, read_notification,
};
use unipay_channel_unionpay::signing::{MessageSigner, SecureKeyDigest, SecureKeySigner};
use unipay_channel_unionpay::wire::parse_answer;
use unipay_channel_unionpay::{Charset, Fields};

pub struct Paid {
    pub order_id: String,
    pub txn_time: String,
    pub query_id: String,
    pub front: Fields,
}

pub fn front_pairs<'a>(
    version: &'a str,
    txn_type: &'a str,
    order_id: &'a str,
    txn_time: &'a str,
    amount: &'a str,
    back_url: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("version", version),
        ("encoding", "UTF-8"),
        ("txnType", txn_type),
        ("txnSubType", "01"),
        ("bizType", "000201"),
        ("channelType", "07"),
        ("merId", MER_ID),
        ("accessType", "0"),
        ("orderId", order_id),
        ("txnTime", txn_time),
        ("currencyCode", "156"),
        ("txnAmt", amount),
        ("frontUrl", "http://127.0.0.1:9/front"),
        ("backUrl", back_url),
        ("reqReserved", "{a=1&b=2}"),
    ]
}

/// Sends a front request and clicks `decision` on the page; the page after.
pub async fn front_and_decide(sim: &Sim, body: Vec<u8>, decision: &str) -> String {
    let (status, page) = sim.post_form("/gateway/api/frontTransReq.do", body).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, 200, "{page}");
    let token = input_value(&page, "token").unwrap();
    let (status, after) = sim
        .post_form(
            "/gateway/sim/payer",
            format!("token={token}&decision={decision}").into_bytes(),
        )
        .await;
    let after = String::from_utf8(after).unwrap();
    assert_eq!(status, 200, "{after}");
    after
}

/// A consume of `amount` fen, paid, its back notification to `back_url`.
pub async fn paid_consume(
    sim: &Sim,
    signer: &dyn MessageSigner,
    amount: &str,
    back_url: &str,
) -> Paid {
    paid_front(sim, signer, "01", amount, back_url).await
}

/// A front transaction of `txn_type` (01 consume, 02 pre-auth), paid.
pub async fn paid_front(
    sim: &Sim,
    signer: &dyn MessageSigner,
    txn_type: &str,
    amount: &str,
    back_url: &str,
) -> Paid {
    paid_front_at(sim, signer, txn_type, amount, back_url, txn_time()).await
}

/// As [`paid_front`], for an order the merchant dated `txn_time` (`yyyyMMddHHmmss`, Beijing).
pub async fn paid_front_at(
    sim: &Sim,
    signer: &dyn MessageSigner,
    txn_type: &str,
    amount: &str,
    back_url: &str,
    txn_time: String,
) -> Paid {
    let order_id = order_id();
    let pairs = front_pairs("5.1.0", txn_type, &order_id, &txn_time, amount, back_url);
    let (_, body) = signed_form(&pairs, signer);
    let page = front_and_decide(sim, body, "pay").await;
    let front = page_fields(&page);
    sim.verifier().verify(&front, now()).unwrap();
    assert_eq!(front.get("respCode"), Some("00"));
    Paid {
        query_id: front.get("queryId").unwrap().to_string(),
        order_id,
        txn_time,
        front,
    }
}

pub async fn query(
    sim: &Sim,
    signer: &dyn MessageSigner,
    version: &str,
    paid: (&str, &str),
) -> (Fields, Vec<u8>) {
    let (request, body) = signed_form(
        &[
            ("version", version),
            ("encoding", "UTF-8"),
            ("txnType", "00"),
            ("txnSubType", "00"),
            ("bizType", "000201"),
            ("merId", MER_ID),
            ("accessType", "0"),
            ("orderId", paid.0),
            ("txnTime", paid.1),
        ],
        signer,
    );
    let (status, answer) = sim.post_form("/gateway/api/queryTrans.do", body).await;
    assert_eq!(status, 200);
    (request, answer)
}

#[tokio::test]
async fn a_consume_is_paid_notified_twice_and_queried() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let paid = paid_consume(&sim, &rsa_signer(), "1234", &receiver.url).await;
    assert_eq!(paid.front.get("reqReserved"), Some("{a=1&b=2}"));

    let bodies = receiver.wait_for(1).await;
    let notice = read_notification(&bodies[0], MER_ID, &sim.verifier(), now()).unwrap();
    assert_eq!(notice.outcome, NotifiedOutcome::Succeeded);
    assert_eq!(notice.amount_fen, Some(1234));
    assert_eq!(notice.query_id.as_deref(), Some(paid.query_id.as_str()));
    assert!(notice.trace_no.is_some() && notice.settle_date.is_some());

    let (request, answer) = query(
        &sim,
        &rsa_signer(),
        "5.1.0",
        (&paid.order_id, &paid.txn_time),
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    match QueryOutcome::from_answer(&answer).unwrap() {
        QueryOutcome::Found(found) => {
            assert_eq!(found.state, OriginalState::Succeeded);
            assert_eq!(found.amount_fen, Some(1234));
            assert_eq!(found.query_id.as_deref(), Some(paid.query_id.as_str()));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_declined_consume_has_no_back_notification_and_queries_failed() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let (order_id, txn_time) = (order_id(), txn_time());
    let pairs = front_pairs("5.1.0", "01", &order_id, &txn_time, "500", &receiver.url);
    let (_, body) = signed_form(&pairs, &rsa_signer());
    let page = front_and_decide(&sim, body, "decline").await;
    let front = page_fields(&page);
    sim.verifier().verify(&front, now()).unwrap();
    assert_ne!(front.get("respCode"), Some("00"));

    let (request, answer) = query(&sim, &rsa_signer(), "5.1.0", (&order_id, &txn_time)).await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert!(matches!(
        QueryOutcome::from_answer(&answer).unwrap(),
        QueryOutcome::Found(found) if matches!(found.state, OriginalState::Failed { .. })
    ));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(receiver.bodies.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_preauth_is_paid_and_an_unpaid_order_queries_in_progress() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let (order_id, txn_time) = (order_id(), txn_time());
    let pairs = front_pairs("5.1.0", "02", &order_id, &txn_time, "10000", &receiver.url);
    let (_, body) = signed_form(&pairs, &rsa_signer());
    let (status, _) = sim.post_form("/gateway/api/frontTransReq.do", body).await;
    assert_eq!(status, 200);
    let (request, answer) = query(&sim, &rsa_signer(), "5.1.0", (&order_id, &txn_time)).await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert!(matches!(
        QueryOutcome::from_answer(&answer).unwrap(),
        QueryOutcome::Found(found) if matches!(found.state, OriginalState::InProgress { .. })
    ));
    assert_eq!(answer.get("txnType"), Some("02"));

    let (order_id, txn_time) = (super::common::order_id(), super::common::txn_time());
    let pairs = front_pairs("5.1.0", "02", &order_id, &txn_time, "10000", &receiver.url);
    let (_, body) = signed_form(&pairs, &rsa_signer());
    front_and_decide(&sim, body, "pay").await;
    let bodies = receiver.wait_for(1).await;
    let notice = read_notification(&bodies[0], MER_ID, &sim.verifier(), now()).unwrap();
    assert_eq!(notice.txn_type.map(|t| t.code()), Some("02"));
}

#[tokio::test]
async fn secure_key_and_5_0_0_merchants_are_answered_their_way() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let secure = SecureKeySigner::new(SecureKeyDigest::Sha256, SECURE_KEY);
    let paid = paid_consume(&sim, &secure, "88", &receiver.url).await;
    assert_eq!(paid.front.get("signMethod"), Some("11"));
    let (request, answer) = query(&sim, &secure, "5.1.0", (&paid.order_id, &paid.txn_time)).await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("origRespCode"), Some("00"));
    assert!(answer.get("signPubKeyCert").is_none());

    // 5.0.0: the answer names the simulator's leaf by certId, SHA-1 signed.
    let (request, answer) = query(
        &sim,
        &rsa_signer(),
        "5.0.0",
        (&paid.order_id, &paid.txn_time),
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    let sign = unipay_channel_unionpay::crypto::Certificate::from_pem(&sim.sign_pem).unwrap();
    assert_eq!(answer.get("certId"), Some(sign.cert_id()));
    assert_eq!(answer.get("version"), Some("5.0.0"));
}

/// The protocol page's rules by hand (§2.2, §7.3, §7.4): the raw answer ends with
/// signPubKeyCert then signature; the certificate's PEM uses CR LF; the signature is
/// SHA256withRSA over the lower-hex SHA-256 of the sorted fields; the leaf's CN carries
/// `00040000:SIGN` third.
#[tokio::test]
async fn an_answer_verifies_by_the_rules_as_written() {
    let sim = start_sim(vec![0]).await;
    let (_, answer) = query(&sim, &rsa_signer(), "5.1.0", ("NOSUCHORDER1", &txn_time())).await;
    let text = String::from_utf8(answer.clone()).unwrap();
    let cert_at = text.find("&signPubKeyCert=").unwrap();
    let signature_at = text.find("&signature=").unwrap();
    assert!(cert_at < signature_at && !text[signature_at + 1..].contains('&'));
    let fields = parse_answer(&answer, Charset::Utf8).unwrap();
    assert_eq!(fields.get("respCode"), Some("34"));
    let pem = fields.get("signPubKeyCert").unwrap();
    assert!(pem.contains("\r\n") && !pem.replace("\r\n", "").contains('\n'));

    let mut sorted: Vec<(&str, &str)> = fields.iter().filter(|(k, _)| *k != "signature").collect();
    sorted.sort();
    let string_to_sign = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let digest_hex = hex::encode(Sha256::digest(string_to_sign.as_bytes()));
    let signature = base64::engine::general_purpose::STANDARD
        .decode(fields.get("signature").unwrap())
        .unwrap();
    let leaf =
        unipay_banksim::unionpay::certificate::SimCertificate::from_pem_or_der(pem.as_bytes())
            .unwrap();
    assert_eq!(leaf.subject().split('@').nth(2), Some("00040000:SIGN"));
    VerifyingKey::<Sha256>::new(leaf.rsa_public_key().unwrap())
        .verify(
            digest_hex.as_bytes(),
            &Signature::try_from(signature.as_slice()).unwrap(),
        )
        .unwrap();
}
