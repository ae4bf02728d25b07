//! The witness test: ABC's own client's requests (tests/vectors/sdk-requests/, captured byte for
//! byte from TrustPayClient V3.1.4 and signed with the key of `merchant.cer`) posted as they
//! are. The simulator accepts every transaction it offers, answers with the contract's names
//! (docs/ABC-WIRE.md), and refuses a body over 8,000 bytes. Nothing here is built with the bank
//! client's code: the bodies are the real client's, the answers are read by [`crate::wire`].

use crate::common::*;
use serde_json::json;
use unipay_channel_abc::crypto::Certificate;

const MERCHANT: &str = "103881234560010";
const CERTIFICATE: &[u8] = include_bytes!("../vectors/sdk-requests/merchant.cer");

macro_rules! body {
    ($name:literal) => {
        include_bytes!(concat!("../vectors/sdk-requests/", $name, ".req.body")).as_slice()
    };
}

/// Codes that mean the simulator did not take the request as a well-formed one of its kind.
const FORM_REFUSALS: [&str; 7] = ["1301", "1302", "1303", "1304", "2001", "2002", "2101"];

async fn post(sim: &Sim, body: &[u8]) -> Answer {
    sim.post_raw(body.to_vec()).await
}

/// Asserts the answer took the request as well-formed and, when it succeeded, carries `names`.
fn check(name: &str, answer: &Answer, expected_code: &str, names: &[&str]) {
    let code = answer.code();
    assert!(
        !FORM_REFUSALS.contains(&code),
        "{name} refused: {}",
        answer.signed.message
    );
    assert_eq!(code, expected_code, "{name}: {}", answer.signed.message);
    assert_eq!(answer.value["Merchant"]["MerchantID"], MERCHANT, "{name}");
    for field in names {
        assert!(
            answer.value["TrxResponse"].get(field).is_some(),
            "{name} lacks {field}: {}",
            answer.signed.message
        );
    }
}

async fn start() -> Sim {
    let sim = start_sim(vec![0]).await;
    let certificate = Certificate::from_der_or_pem(CERTIFICATE).unwrap();
    let (status, body) = sim
        .sim_post(
            "/sim/merchants",
            json!({"merchant_id": MERCHANT, "certificate_pem": certificate.to_pem()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // The person the captured identity requests name.
    let (status, _) = sim
        .sim_post(
            "/sim/identities",
            json!({"card_no": "6228480012345678901", "name": "张三",
                   "certificate_type": "I", "certificate_no": "110101199003071234",
                   "mobile": "13800138000"}),
        )
        .await;
    assert_eq!(status, 200);
    sim
}

/// Only the captured merchant's certificate is here, not its key: set-up steps go through the
/// sim API, and every request posted is the real client's.
#[tokio::test]
async fn every_captured_request_is_accepted_and_answered_with_the_contracts_names() {
    let sim = start().await;

    // Payments, queries, refunds.
    let pay = post(&sim, body!("PayReq")).await;
    check(
        "PayReq",
        &pay,
        "0000",
        &["OrderNo", "OrderAmount", "PaymentURL"],
    );
    check(
        "Query",
        &post(&sim, body!("Query")).await,
        "0000",
        &["Order"],
    );
    sim.pay("ON20261127A001", "success", "none").await;
    // The real client's Refund is not valid JSON; read leniently it is a good refund.
    let refund = post(&sim, body!("Refund")).await;
    check(
        "Refund",
        &refund,
        "0000",
        &["NewOrderNo", "TrxAmount", "iRspRef"],
    );
    let batch = post(&sim, body!("BatchRefund")).await;
    check(
        "BatchRefund",
        &batch,
        "0000",
        &[
            "TotalCount",
            "TotalAmount",
            "SerialNumber",
            "HostDate",
            "HostTime",
        ],
    );
    // The captured query names serial SN0001, which this bank never gave: judged, not found.
    check(
        "QueryBatchRefund",
        &post(&sim, body!("QueryBatchRefund")).await,
        "2321",
        &[],
    );
    for statement in ["Settle", "QueryTrnxRecords"] {
        let body = match statement {
            "Settle" => body!("Settle"),
            _ => body!("QueryTrnxRecords"),
        };
        let answer = post(&sim, body).await;
        assert!(
            !FORM_REFUSALS.contains(&answer.code()),
            "{statement}: {}",
            answer.signed.message
        );
    }

    // Pre-authorization: ON20261127P001 authorized for 5.00 by other means (the sim API).
    let (status, created) = sim
        .sim_post(
            "/sim/orders",
            json!({"merchant_id": MERCHANT, "order_no": "ON20261127P001", "amount_fen": 500,
                   "pay_type_id": "PreAuthPay"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let confirmed = post(&sim, body!("PreAuthCancelConfirm")).await;
    check(
        "PreAuthCancelConfirm",
        &confirmed,
        "0000",
        &[
            "VouchNo",
            "OperateType",
            "OrderNo",
            "OriginalOrderNo",
            "OrderAmount",
            "iRspRef",
        ],
    );

    // Identity.
    check(
        "IdentityVerifyReq",
        &post(&sim, body!("IdentityVerifyReq")).await,
        "0000",
        &["VerifyURL"],
    );
    check(
        "StaticIdentifyVerifyReq",
        &post(&sim, body!("StaticIdentifyVerifyReq")).await,
        "0000",
        &[],
    );

    // K-code: the bill, a resend; the captured KPayReq's code (123456) is not the texted one.
    check(
        "KPayVerifyReq",
        &post(&sim, body!("KPayVerifyReq")).await,
        "0000",
        &[
            "OrderNo",
            "OrderAmount",
            "PaymentURL",
            "VerifyDate",
            "VerifyTime",
        ],
    );
    check(
        "KPayResendReq",
        &post(&sim, body!("KPayResendReq")).await,
        "0000",
        &["OrderNo"],
    );
    let texts: Vec<serde_json::Value> = sim
        .http
        .get(sim.url("/sim/sms?mobile=7698"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(texts.len(), 2, "the bill's code and the resent one");
    let kpay = post(&sim, body!("KPayReq")).await;
    let expected = if texts[0]["code"] == "123456" {
        "0000"
    } else {
        "2350"
    };
    check("KPayReq", &kpay, expected, &[]);

    // Authorized payment: the signing, its query; the captured AgentSignNo is not one this
    // bank gave, so the debits and the unsigning are judged and refused as no mandate.
    check(
        "AgentSign",
        &post(&sim, body!("AgentSign")).await,
        "0000",
        &["OrderNo", "B2CAgentSignContractURL"],
    );
    check(
        "QueryAgentSign",
        &post(&sim, body!("QueryAgentSign")).await,
        "0000",
        &[
            "AgentSignStatus",
            "Last4CardNo",
            "SignDate",
            "UnSignDate",
            "InvaidDate",
            "CertificateNo",
            "CertificateType",
            "AccountType",
            "PaymentLinkType",
            "MerchantNo",
        ],
    );
    check(
        "AgentUnSign",
        &post(&sim, body!("AgentUnSign")).await,
        "2401",
        &[],
    );
    check(
        "AgentPay",
        &post(&sim, body!("AgentPay")).await,
        "2401",
        &[],
    );
    check(
        "AgentBatch",
        &post(&sim, body!("AgentBatch")).await,
        "0000",
        &[
            "MerchantNo",
            "SendTime",
            "BatchNo",
            "BatchDate",
            "AgentCount",
            "AgentAmount",
        ],
    );
    let batch_query = post(&sim, body!("AgentBatchQuery")).await;
    check(
        "AgentBatchQuery",
        &batch_query,
        "0000",
        &[
            "BatchStatus",
            "BatchStatusZH",
            "CurrencyCode",
            "AgentBatchDetail",
        ],
    );
    let line = &batch_query.value["TrxResponse"]["AgentBatchDetail"][0];
    for field in [
        "SeqNo",
        "OrderNo",
        "OrderAmount",
        "AgentSignNo",
        "OrderStatus",
        "OrderStatusZH",
    ] {
        assert!(
            line.get(field).is_some(),
            "AgentBatchDetail lacks {field}: {line}"
        );
    }
}

/// Proves a captured request made one byte too long for the limit is refused `1303`: the
/// body, padded inside a signed value, is over 8,000 bytes (the signature no longer matters).
#[tokio::test]
async fn a_body_over_8000_bytes_is_refused_whatever_its_trx_type() {
    let sim = start().await;
    for body in [body!("AgentBatch"), body!("BatchRefund"), body!("PayReq")] {
        let text = String::from_utf8(body.to_vec()).unwrap();
        let padded = text.replacen(
            "\"TrxType\"",
            &format!("\"Pad\":\"{}\",\"TrxType\"", "x".repeat(8_000)),
            1,
        );
        assert!(padded.trim_end().len() > 8_000);
        let answer = sim.post_raw(padded.into_bytes()).await;
        assert_eq!(answer.code(), "1303");
    }
    // Exactly 8,000 bytes (without the line end) is not over the limit.
    let text = String::from_utf8(body!("Query").to_vec()).unwrap();
    let short = text.trim_end().len();
    let padded = text.replacen(
        "\"TrxType\"",
        &format!("\"Pad\":\"{}\",\"TrxType\"", "x".repeat(8_000 - short - 9)),
        1,
    );
    assert_eq!(padded.trim_end().len(), 8_000);
    assert_eq!(
        sim.post_raw(padded.into_bytes()).await.code(),
        "1302",
        "judged, not too large"
    );
}
