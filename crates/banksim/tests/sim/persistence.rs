//! The state file: a merchant registered through the sim API, its paid order, the order's
//! refund and batch refund, a signed mandate, the identity registry and a K-code bill survive a
//! restart on the same file.

use crate::common::*;
use serde_json::json;
use unipay_banksim::messages::batch::{
    BatchRefundLine, BatchRefundRequest, QueryBatchRefundRequest,
};

#[tokio::test]
async fn a_registered_merchant_and_its_paid_order_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "banksim-state-{}-{}",
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("state.json");
    let (_, certificate) = merchant_identity();
    let with_file = |config: &mut unipay_banksim::SimConfig| {
        config.merchants.clear();
        config.notify_schedule_ms = vec![0];
        config.state_file = Some(file.clone());
        config.batch_refund_delay_ms = 0;
    };

    let sim = start_sim_with(with_file).await;
    assert_eq!(sim.query("P1").await.code(), "2001", "not registered yet");
    let (status, body) = sim
        .sim_post(
            "/sim/merchants",
            json!({"merchant_id": MERCHANT_ID, "certificate_pem": certificate.to_pem()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let paid = sim.paid("P1", "12.34").await;
    let paid_serial = paid["i_rsp_ref"].clone();
    assert_eq!(sim.refund("P1", "P1-R1", "2.00").await.code(), "0000");
    let batch = request_message(BatchRefundRequest {
        trx_type: "BatchRefund".into(),
        batch_no: "PB1".into(),
        batch_date: "2026/11/27".into(),
        batch_time: "10:00:00".into(),
        total_count: "1".into(),
        total_amount: "1.00".into(),
        order_data: vec![BatchRefundLine {
            seq_no: "1".into(),
            order_no: "P1".into(),
            new_order_no: "P1-B1".into(),
            currency_code: "156".into(),
            refund_amount: "1.00".into(),
            remark: "批量".into(),
        }],
        ..Default::default()
    });
    let accepted = sim.transact(&batch).await;
    assert_eq!(accepted.code(), "0000", "{}", accepted.signed.message);
    let serial = accepted.field("SerialNumber").to_string();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let receiver = start_receiver(0).await;
    let sign_no = crate::agent::signed(&sim, &receiver, "PS1", "6228480012345670041").await;
    // A person the identity registry knows, and a K-code bill whose code is texted.
    let (status, _) = sim
        .sim_post(
            "/sim/identities",
            json!({"card_no": "6228480012345678901", "name": "张三", "certificate_type": "I",
                   "certificate_no": "110101199003071234", "mobile": "13800138000"}),
        )
        .await;
    assert_eq!(status, 200);
    let bill = crate::sdk::kpay_verify("PK1", "5.00", "6228480012345678901", "8000").message();
    assert_eq!(sim.transact(&bill).await.code(), "0000");
    sim.stop().await;
    assert!(file.exists(), "written at shutdown");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left");

    let again = start_sim_with(with_file).await;
    let query = again.query("P1").await;
    assert_eq!(query.code(), "0000", "{}", query.signed.message);
    let detail = query.order_detail();
    assert_eq!(
        (detail.status.as_str(), detail.order_amount.as_str()),
        ("04", "12.34")
    );
    if !paid_serial.is_null() {
        assert_eq!(json!(detail.i_rsp_ref), paid_serial);
    }
    // Its refund came back with it: what is left to refund is what was left.
    assert_eq!(
        crate::refunds::detail(&again.query("P1-R1").await)["Status"],
        "04"
    );
    assert_eq!(again.refund("P1", "P1-R2", "9.35").await.code(), "2311");
    assert_eq!(again.refund("P1", "P1-R2", "9.34").await.code(), "0000");
    // And the batch: QueryBatchRefund finds it with its line.
    let query = request_message(QueryBatchRefundRequest {
        trx_type: "QueryBatchRefund".into(),
        batch_date: "2026/11/27".into(),
        batch_time: "10:00:00".into(),
        serial_number: serial.clone(),
        batch_no: String::new(),
    });
    let found = again.transact(&query).await;
    assert_eq!(found.code(), "0000", "{}", found.signed.message);
    assert_eq!(
        found.value["TrxResponse"]["Order"][0]["RefundOrderNo"],
        "P1-B1"
    );
    assert_eq!(found.value["TrxResponse"]["Order"][0]["OrderStatus"], "0");
    // The mandate came back too: it is debited, and queried as signed.
    let debit = crate::sdk::agent_pay("PD1", &sign_no, "1.00").message();
    assert_eq!(again.transact(&debit).await.code(), "0000");
    let query = again
        .transact(&crate::sdk::query_agent_sign("PS1").message())
        .await;
    assert_eq!(query.field("AgentSignStatus"), "1");
    // The identity registry, the K-code bill and its texted code came back.
    let matching = crate::sdk::static_identify(
        "6228480012345678901",
        "张三",
        "110101199003071234",
        "13800138000",
    )
    .message();
    assert_eq!(again.transact(&matching).await.code(), "0000");
    let texts: Vec<serde_json::Value> = again
        .http
        .get(again.url("/sim/sms?mobile=8000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = texts[0]["code"].as_str().unwrap().to_string();
    let kpay = crate::sdk::kpay("PK1", "5.00", &code, "张三").message();
    assert_eq!(again.transact(&kpay).await.code(), "0000");
    // The order is the same order: paying it again is refused as already done.
    assert_eq!(
        again
            .pay_req("P1", "12.34", "1", "http://127.0.0.1:9/n")
            .await
            .code(),
        "2302"
    );
    again.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
