//! A refund from end to end, through the public API only: the merchant builds, signs and
//! encodes it; a bank (here, test keys) reads and verifies it and answers as UnionPay does,
//! with its certificate inside; the merchant believes the answer and types it.
#![allow(clippy::unwrap_used, clippy::panic)]

use rsa::pkcs8::DecodePrivateKey;
use unipay_channel_unionpay::crypto::{Certificate, ChainOfTrust, IdentityRule};
use unipay_channel_unionpay::messages::{
    BackOperation, BackOutcome, BackRequest, ChannelType, Merchant, OrderId, TxnTime, read_answer,
};
use unipay_channel_unionpay::signing::{
    self, BankVerifier, MessageSigner, RsaCertificateSigner, Version,
};
use unipay_channel_unionpay::wire::{decode_form, encode_form};
use unipay_channel_unionpay::{Charset, Fields};
use unipay_core::money::Amount;

/// 2027-01-01T00:00:00Z: inside every fixture's validity.
const NOW: u64 = 1_798_761_600;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn cert(name: &str) -> Certificate {
    Certificate::from_der_or_pem(&fixture(name)).unwrap()
}

/// What the bank does with a request: verify it by the merchant's certId, and answer with
/// the sorted fields, then its certificate (CR LF), then the signature, not URL-encoded.
fn bank_answers(body: &[u8]) -> Vec<u8> {
    let request = decode_form(body).unwrap();
    let merchants = BankVerifier::new().with_certificate(cert("rsa_merchant.pem"));
    merchants.verify(&request, NOW).unwrap();
    let mut answer = Fields::new();
    for key in [
        "version",
        "encoding",
        "bizType",
        "accessType",
        "merId",
        "orderId",
        "txnTime",
        "txnType",
        "txnSubType",
        "signMethod",
        "txnAmt",
        "origQryId",
    ] {
        answer.set(key, request.get(key).unwrap());
    }
    answer.set("queryId", "652401051647252421528");
    answer.set("respCode", "00");
    answer.set("respMsg", "成功[0000000]");
    let pem = String::from_utf8(fixture("rsa_bank.pem")).unwrap();
    let pem = pem.trim_end().replace('\n', "\r\n");
    let mut signed = answer.clone();
    signed.set("signPubKeyCert", &pem);
    let key = rsa::PrivateKey::from_pkcs8_der(&fixture("rsa_bank.pk8")).unwrap();
    let bank = RsaCertificateSigner::new(key, &cert("rsa_bank.pem")).unwrap();
    let signature = bank
        .signature(
            Version::V5_1_0,
            Charset::Utf8,
            signed.string_to_sign().as_bytes(),
        )
        .unwrap();
    let mut wire: String = answer.iter().map(|(k, v)| format!("{k}={v}&")).collect();
    wire.push_str(&format!("signPubKeyCert={pem}&signature={signature}"));
    wire.into_bytes()
}

#[test]
fn a_refund_is_signed_sent_answered_and_believed() {
    let merchant = Merchant {
        mer_id: "777290058110048".to_string(),
        version: Version::V5_1_0,
        charset: Charset::Utf8,
    };
    let signer = RsaCertificateSigner::from_pkcs12(&fixture("rsa_merchant.pfx"), "000000").unwrap();
    let refund = BackRequest {
        operation: BackOperation::Refund,
        channel: ChannelType::Desktop,
        order_id: OrderId::new("refund20270101000001").unwrap(),
        txn_time: TxnTime::new("20270101080000").unwrap(),
        amount: Amount::from_fen(1).unwrap(),
        original_query_id: "052401051658427862748".to_string(),
        back_url: "https://merchant.example/unionpay/notify".to_string(),
        req_reserved: Some("{refund=partial}".to_string()),
    };
    let mut request = refund.fields(&merchant);
    signing::sign(&mut request, &signer).unwrap();
    let body = encode_form(&request, merchant.charset).unwrap();

    let answer_body = bank_answers(&body);

    let verifier = BankVerifier::new().with_rsa_chain(ChainOfTrust {
        root: cert("rsa_root.pem"),
        middle: cert("rsa_middle.pem"),
        identity: IdentityRule::UnionPayOnly,
    });
    let answer = read_answer(&answer_body, &request, &verifier, NOW).unwrap();
    assert_eq!(
        BackOutcome::from_answer(&answer).unwrap(),
        BackOutcome::Accepted {
            query_id: Some("652401051647252421528".to_string())
        }
    );
    // The same answer, a day after the bank's certificate expired, is not believed.
    let expired = cert("rsa_bank.pem").valid_until() + 86_400;
    assert!(read_answer(&answer_body, &request, &verifier, expired).is_err());
}
