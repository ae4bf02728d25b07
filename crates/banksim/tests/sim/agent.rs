//! Authorized payment as ABC's client speaks it: AgentSign (the signing page), the AGENTSIGN
//! result (signed `0000`, refused `2409`) with AgentSignNo and Last4CardNo, QueryAgentSign's
//! names, AgentPay by `Amount`, AgentBatch with its header in `AgentBatch{…}` and
//! AgentBatchQuery by BatchNo and BatchDate, AgentUnSign.

use crate::common::*;
use crate::sdk;
use crate::wire::field;
use serde_json::Value;
use std::time::Duration;

/// Posts the customer's decision on the signing page of `url`.
async fn decide(sim: &Sim, url: &str, action: &str, card_no: &str) {
    let token = url.split("TOKEN=").nth(1).unwrap();
    let page = sim.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let response = sim
        .http
        .post(sim.url("/sim/agent/consumer"))
        .form(&[("TOKEN", token), ("action", action), ("card_no", card_no)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// Signs `order_no` with `card_no`; the AgentSignNo from the AGENTSIGN notification.
pub async fn signed(sim: &Sim, receiver: &Receiver, order_no: &str, card_no: &str) -> String {
    let answer = sim
        .transact(&sdk::agent_sign(order_no, &receiver.url).message())
        .await;
    assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
    assert_eq!(answer.field("OrderNo"), order_no);
    let url = answer.field("B2CAgentSignContractURL").to_string();
    assert!(
        url.starts_with(&sim.url("/ebus/AgentSignAct.ebf?TOKEN=")),
        "{url}"
    );
    let before = receiver.count();
    decide(sim, &url, "agree", card_no).await;
    receiver.wait_for(before + 1).await;
    let xml = receiver.message(before, &sim.certificate);
    assert_eq!(field(&xml, "TrxType"), Some("AGENTSIGN"), "{xml}");
    assert_eq!(field(&xml, "ReturnCode"), Some("0000"));
    assert_eq!(field(&xml, "OrderNo"), Some(order_no));
    assert_eq!(
        field(&xml, "Last4CardNo"),
        Some(&card_no[card_no.len() - 4..])
    );
    field(&xml, "AgentSignNo").unwrap().to_string()
}

#[tokio::test]
async fn a_signing_is_reported_as_agentsign_and_queried_by_the_sdks_names() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let sign_no = signed(&sim, &receiver, "AS1", "6228480012345670017").await;
    assert!(!sign_no.is_empty());

    let query = sim.transact(&sdk::query_agent_sign("AS1").message()).await;
    assert_eq!(query.code(), "0000", "{}", query.signed.message);
    for (name, value) in [
        ("AgentSignNo", sign_no.as_str()),
        ("AgentSignStatus", "1"),
        ("Last4CardNo", "0017"),
        ("UnSignDate", ""),
        ("InvaidDate", "2099/11/27"),
        ("CertificateNo", "340121198403084619"),
        ("CertificateType", "I"),
        ("AccountType", "1"),
        ("PaymentLinkType", "1"),
        ("MerchantNo", MERCHANT_ID),
    ] {
        assert_eq!(query.field(name), value, "{name}");
    }
    assert_eq!(query.field("SignDate").len(), 10);

    // A debit by `Amount`, answered at once.
    let paid = sim
        .transact(&sdk::agent_pay("AP1", &sign_no, "3.00").message())
        .await;
    assert_eq!(paid.code(), "0000", "{}", paid.signed.message);
    for name in [
        "OrderNo",
        "AgentSignNo",
        "Amount",
        "BatchNo",
        "VoucherNo",
        "HostDate",
        "HostTime",
        "iRspRef",
    ] {
        assert!(!paid.field(name).is_empty(), "{name}");
    }
    assert_eq!(paid.field("Amount"), "3.00");
    assert_eq!(sim.query("AP1").await.order_detail().status, "04");
    // The old name is not read: no Amount, no debit.
    let old = sdk::agent_pay("AP2", &sign_no, "").message();
    let refused = sim.transact(&old).await;
    assert_eq!(refused.field("ErrorMessage"), "字段错误(Amount)");

    // Unsigned: status 3 with its date, and no more debits.
    let unsigned = sim
        .transact(&sdk::agent_unsign("AS1", &sign_no).message())
        .await;
    assert_eq!(unsigned.code(), "0000");
    assert_eq!(unsigned.field("AgentSignNo"), sign_no);
    let query = sim.transact(&sdk::query_agent_sign("AS1").message()).await;
    assert_eq!(query.field("AgentSignStatus"), "3");
    assert_eq!(query.field("UnSignDate").len(), 10);
    assert_eq!(
        sim.transact(&sdk::agent_pay("AP3", &sign_no, "1.00").message())
            .await
            .code(),
        "2402"
    );
}

#[tokio::test]
async fn a_refused_signing_is_agentsign_2409() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let answer = sim
        .transact(&sdk::agent_sign("AS2", &receiver.url).message())
        .await;
    decide(&sim, answer.field("B2CAgentSignContractURL"), "refuse", "").await;
    receiver.wait_for(1).await;
    let xml = receiver.message(0, &sim.certificate);
    assert_eq!(field(&xml, "TrxType"), Some("AGENTSIGN"));
    assert_eq!(field(&xml, "ReturnCode"), Some("2409"));
    let query = sim.transact(&sdk::query_agent_sign("AS2").message()).await;
    assert_eq!(query.field("AgentSignStatus"), "2");
    assert_eq!(query.field("ReasonCode"), "2409");
}

#[tokio::test]
async fn what_the_sdk_would_never_send_is_refused_by_field() {
    let sim = start_sim(vec![0]).await;
    for (path, value, field_name) in [
        ("IsSign", "Unsign", "IsSign"),
        ("CardType", "2", "CardType"),
        ("CertificateNo", "1234567890123456", "CertificateNo"),
        ("CertificateType", "Z", "CertificateType"),
        ("InvaidDate", "2099-11-27", "InvaidDate"),
    ] {
        let message = sdk::agent_sign("AS3", "http://127.0.0.1:9/n")
            .set(path, value)
            .message();
        let answer = sim.transact(&message).await;
        assert_eq!(
            answer.field("ErrorMessage"),
            format!("字段错误({field_name})"),
            "{path}"
        );
    }
    // Card type A (either) and a 60-character order number are the SDK's own.
    let long = "A".repeat(60);
    let message = sdk::agent_sign(&long, "http://127.0.0.1:9/n")
        .set("CardType", "A")
        .message();
    assert_eq!(sim.transact(&message).await.code(), "0000");
    let unsign = sdk::agent_unsign("AS3", "X1")
        .without("RequestDate")
        .message();
    assert_eq!(
        sim.transact(&unsign).await.field("ErrorMessage"),
        "字段错误(RequestDate)"
    );
}

#[tokio::test]
async fn a_debit_batch_is_found_by_its_number_and_date() {
    let sim = start_sim_with(|config| {
        config.notify_schedule_ms = vec![0];
        config.batch_refund_delay_ms = 50;
    })
    .await;
    let receiver = start_receiver(0).await;
    let sign_no = signed(&sim, &receiver, "AS4", "6228480012345670025").await;
    let batch = sdk::agent_batch(
        "B1",
        &[("AB1", sign_no.as_str(), "1.00"), ("AB2", "NOSUCH", "2.00")],
    );
    let accepted = sim.transact(&batch.message()).await;
    assert_eq!(accepted.code(), "0000", "{}", accepted.signed.message);
    assert_eq!(accepted.field("MerchantNo"), MERCHANT_ID);
    assert_eq!(accepted.field("SendTime").len(), 19);
    assert_eq!(accepted.field("AgentCount"), "2");
    assert_eq!(accepted.field("AgentAmount"), "3.00");
    let early = sim.transact(&sdk::agent_batch_query("B1").message()).await;
    assert_eq!(early.field("BatchStatus"), "0");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let done = sim.transact(&sdk::agent_batch_query("B1").message()).await;
    assert_eq!(done.code(), "0000", "{}", done.signed.message);
    assert_eq!(done.field("BatchStatus"), "2");
    assert_eq!(done.field("CurrencyCode"), "156");
    let lines = done.value["TrxResponse"]["AgentBatchDetail"]
        .as_array()
        .unwrap();
    let line = |i: usize, name: &str| lines[i][name].as_str().unwrap_or_default().to_string();
    assert_eq!(
        (line(0, "OrderNo"), line(0, "OrderStatus")),
        ("AB1".into(), "0".into())
    );
    assert_eq!(line(0, "OrderAmount"), "1.00");
    assert_eq!(
        (line(1, "OrderStatus"), line(1, "ReasonCode")),
        ("1".into(), "2401".into())
    );
    // Another date is another batch.
    let other = sdk::agent_batch_query("B1")
        .set("BatchDate", "2026/11/28")
        .message();
    assert_eq!(sim.transact(&other).await.code(), "2321");
    // The header outside `AgentBatch{…}` is not read.
    let flat: Value = serde_json::from_str(&batch.message()).unwrap();
    assert!(flat["TrxRequest"]["BatchNo"].is_null());
}

/// Proves a mandate ended at the bank (the sim API plays the customer at the counter) is told
/// to the merchant as `AGENTUNSIGN`, with its AgentSignNo and Last4CardNo.
#[tokio::test]
async fn a_mandate_ended_at_the_bank_is_told_as_agentunsign() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let sign_no = signed(&sim, &receiver, "AS5", "6228480012345670033").await;
    let (status, body) = sim
        .sim_post("/sim/agent/signings/AS5/unsign", serde_json::json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    receiver.wait_for(2).await;
    let xml = receiver.message(1, &sim.certificate);
    assert_eq!(field(&xml, "TrxType"), Some("AGENTUNSIGN"), "{xml}");
    assert_eq!(field(&xml, "ReturnCode"), Some("0000"));
    assert_eq!(field(&xml, "AgentSignNo"), Some(sign_no.as_str()));
    assert_eq!(field(&xml, "Last4CardNo"), Some("0033"));
    let query = sim.transact(&sdk::query_agent_sign("AS5").message()).await;
    assert_eq!(query.field("AgentSignStatus"), "3");
    let (status, _) = sim
        .sim_post("/sim/agent/signings/AS5/unsign", serde_json::json!({}))
        .await;
    assert_eq!(status, 409, "only a signed mandate ends");
}
