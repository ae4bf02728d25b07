//! The state file: a merchant registered through the sim API and its paid order survive a
//! restart on the same file.

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
