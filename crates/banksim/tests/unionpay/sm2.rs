//! signMethod 21: a merchant signing with its SM2 certificate is verified under its certId and
//! answered with the simulator's SM2 leaf, as the real bank client checks; and the `sign_cert`
//! fault signs under certificates out of date, which the client refuses.

use super::common::*;
use super::front::{front_and_decide, front_pairs, query};
use std::sync::OnceLock;
use unipay_banksim::unionpay::certificate::valid_for_days;
use unipay_banksim::unionpay::sm2_certificate::{Sm2KeyAndCertificate, issue_sm2};
use unipay_channel_unionpay::Charset;
use unipay_channel_unionpay::crypto::{Certificate, CertificateError};
use unipay_channel_unionpay::messages::{NotifiedOutcome, read_answer, read_notification};
use unipay_channel_unionpay::signing::{
    MessageSigner, SignMethod, Sm2CertificateSigner, VerifiedBy, VerifyError, Version,
};
use unipay_channel_unionpay::wire::{encode_form, parse_answer};

const SM2_MER_ID: &str = "777290058110021";

fn merchant() -> &'static Sm2KeyAndCertificate {
    static SLOT: OnceLock<Sm2KeyAndCertificate> = OnceLock::new();
    SLOT.get_or_init(|| {
        issue_sm2(
            "sm2 merchant.test",
            valid_for_days(30).unwrap(),
            false,
            None,
        )
        .unwrap()
    })
}

fn sm2_signer() -> Sm2CertificateSigner {
    let certificate = Certificate::from_der_or_pem(merchant().certificate.der()).unwrap();
    Sm2CertificateSigner::new(&merchant().key, &certificate).unwrap()
}

async fn sm2_sim() -> Sim {
    let sim = start_sim_with(vec![0], None).await;
    let (status, body) = sim
        .post_json(
            "/sim/unionpay/merchants",
            serde_json::json!({
                "mer_id": SM2_MER_ID,
                "certificate_pem": merchant().certificate.pem(),
            }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    sim
}

fn sm2_pairs<'a>(
    order_id: &'a str,
    txn_time: &'a str,
    back_url: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut pairs = front_pairs("5.1.0", "01", order_id, txn_time, "2100", back_url);
    pairs.retain(|(k, _)| *k != "merId");
    pairs.push(("merId", SM2_MER_ID));
    pairs
}

#[tokio::test]
async fn an_sm2_merchant_is_verified_and_answered_with_the_sm2_leaf() {
    let sim = sm2_sim().await;
    let receiver = start_receiver(0).await;
    let (order_id, txn_time) = (order_id(), txn_time());
    let (_, body) = signed_form(
        &sm2_pairs(&order_id, &txn_time, &receiver.url),
        &sm2_signer(),
    );
    let page = front_and_decide(&sim, body, "pay").await;
    let front = page_fields(&page);
    assert_eq!(front.get("signMethod"), Some("21"));
    let verified = sim.sm2_verifier().verify(&front, now()).unwrap();
    let leaf = Certificate::from_pem(front.get("signPubKeyCert").unwrap()).unwrap();
    assert_eq!(front.get("certId"), Some(leaf.cert_id()));
    assert_eq!(
        verified,
        VerifiedBy::Certificate {
            cert_id: leaf.cert_id().to_string()
        }
    );
    assert!(
        front.get("signPubKeyCert").unwrap().contains("\r\n"),
        "CR LF inside"
    );
    assert_eq!(leaf.common_name().split('@').nth(2), Some("00040000:SIGN"));
    // The RSA chain does not vouch for the SM2 leaf.
    assert!(sim.verifier().verify(&front, now()).is_err());

    let bodies = receiver.wait_for(1).await;
    let notice = read_notification(&bodies[0], SM2_MER_ID, &sim.sm2_verifier(), now()).unwrap();
    assert_eq!(notice.outcome, NotifiedOutcome::Succeeded);
    assert_eq!(notice.amount_fen, Some(2100));

    let (request, answer) = sm2_query(&sim, &order_id, &txn_time).await;
    let answer = read_answer(&answer, &request, &sim.sm2_verifier(), now()).unwrap();
    assert_eq!(answer.get("origRespCode"), Some("00"));
}

async fn sm2_query(
    sim: &Sim,
    order_id: &str,
    txn_time: &str,
) -> (unipay_channel_unionpay::Fields, Vec<u8>) {
    let (request, body) = signed_form(
        &[
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("txnType", "00"),
            ("txnSubType", "00"),
            ("bizType", "000201"),
            ("merId", SM2_MER_ID),
            ("accessType", "0"),
            ("orderId", order_id),
            ("txnTime", txn_time),
        ],
        &sm2_signer(),
    );
    let (status, answer) = sim.post_form("/gateway/api/queryTrans.do", body).await;
    assert_eq!(status, 200);
    (request, answer)
}

#[tokio::test]
async fn a_request_signed_under_another_user_id_or_tampered_is_refused() {
    let sim = sm2_sim().await;
    let (order_id, txn_time) = (order_id(), txn_time());
    let pairs = sm2_pairs(&order_id, &txn_time, "http://127.0.0.1:9/n");
    let (fields, _) = signed_form(&pairs, &sm2_signer());

    let mut tampered = fields.clone();
    tampered.set("txnAmt", "1");
    // GM/T 0009's default user ID instead of the certId: the signature is the key's, but
    // not over what UnionPay hashes.
    let default_id =
        Sm2CertificateSigner::with_cert_id(&merchant().key, "1234567812345678").unwrap();
    let mut other_id = fields.clone();
    other_id.remove("signature");
    let signed = Charset::Utf8.encode(&other_id.string_to_sign()).unwrap();
    let signature = default_id
        .signature(Version::V5_1_0, Charset::Utf8, &signed)
        .unwrap();
    other_id.set("signature", signature);
    assert_eq!(default_id.sign_method(), SignMethod::Sm2Certificate);
    for refused in [tampered, other_id] {
        let (status, page) = sim
            .post_form(
                "/gateway/api/frontTransReq.do",
                encode_form(&refused, Charset::Utf8).unwrap(),
            )
            .await;
        assert_eq!(status, 400);
        assert!(String::from_utf8(page).unwrap().contains("respCode=11"));
    }
    let (_, body) = signed_form(&pairs, &sm2_signer());
    let (status, _) = sim.post_form("/gateway/api/frontTransReq.do", body).await;
    assert_eq!(status, 200, "the genuine request goes through");
}

#[tokio::test]
async fn the_expired_sign_cert_fault_signs_under_certificates_out_of_date() {
    let sim = sm2_sim().await;
    sim.register_merchant().await;
    let (status, body) = sim
        .post_json(
            "/sim/unionpay/faults",
            serde_json::json!({"sign_cert": "expired"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let out_of_date = |result: Result<_, VerifyError>| {
        matches!(
            result,
            Err(VerifyError::Certificate(CertificateError::OutsideValidity { now, not_after, .. }))
                if now > not_after
        )
    };

    let (_, answer) = sm2_query(&sim, "NOSUCHORDER1", &txn_time()).await;
    let fields = parse_answer(&answer, Charset::Utf8).unwrap();
    assert!(out_of_date(sim.sm2_verifier().verify(&fields, now())));
    let (_, answer) = query(&sim, &rsa_signer(), "5.1.0", ("NOSUCHORDER1", &txn_time())).await;
    let fields = parse_answer(&answer, Charset::Utf8).unwrap();
    assert!(out_of_date(sim.verifier().verify(&fields, now())));

    // Cleared, the same answers are believed again.
    sim.http
        .delete(format!("{}/sim/unionpay/faults", sim.base))
        .send()
        .await
        .unwrap();
    let (request, answer) = sm2_query(&sim, "NOSUCHORDER1", &txn_time()).await;
    read_answer(&answer, &request, &sim.sm2_verifier(), now()).unwrap();
}
