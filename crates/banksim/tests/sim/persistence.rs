//! The state file: a merchant registered through the sim API, its paid order, the order's
//! refund and a signed mandate survive a restart on the same file.

use crate::common::*;
use serde_json::json;

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
    let serial = paid["i_rsp_ref"].clone();
    assert_eq!(sim.refund("P1", "P1-R1", "2.00").await.code(), "0000");
    let receiver = start_receiver(0).await;
    let sign_no = crate::agent::signed(&sim, &receiver, "PS1", "6228480012345670041").await;
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
    if !serial.is_null() {
        assert_eq!(json!(detail.i_rsp_ref), serial);
    }
    // Its refund came back with it: what is left to refund is what was left.
    assert_eq!(
        crate::refunds::detail(&again.query("P1-R1").await)["Status"],
        "04"
    );
    assert_eq!(again.refund("P1", "P1-R2", "10.35").await.code(), "2311");
    assert_eq!(again.refund("P1", "P1-R2", "10.34").await.code(), "0000");
    // The mandate came back too: it is debited, and queried as signed.
    let debit = crate::sdk::agent_pay("PD1", &sign_no, "1.00").message();
    assert_eq!(again.transact(&debit).await.code(), "0000");
    let query = again
        .transact(&crate::sdk::query_agent_sign("PS1").message())
        .await;
    assert_eq!(query.field("AgentSignStatus"), "1");
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
