//! Back transactions (refund, void), notification retries and faults.

use super::common::*;
use super::front::{paid_consume, query};
use unipay_channel_unionpay::Fields;
use unipay_channel_unionpay::messages::{
    NotifiedOutcome, OriginalState, QueryOutcome, read_answer, read_notification,
};
use unipay_channel_unionpay::signing::MessageSigner;

pub async fn back(
    sim: &Sim,
    signer: &dyn MessageSigner,
    txn_type: &str,
    orig_query_id: &str,
    amount: &str,
    back_url: &str,
) -> (Fields, Vec<u8>) {
    let (order_id, txn_time) = (order_id(), txn_time());
    let (request, body) = signed_form(
        &[
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("txnType", txn_type),
            ("txnSubType", "00"),
            ("bizType", "000201"),
            ("channelType", "07"),
            ("merId", MER_ID),
            ("accessType", "0"),
            ("orderId", &order_id),
            ("txnTime", &txn_time),
            ("currencyCode", "156"),
            ("txnAmt", amount),
            ("backUrl", back_url),
            ("origQryId", orig_query_id),
        ],
        signer,
    );
    let (status, answer) = sim.post_form("/gateway/api/backTransReq.do", body).await;
    assert_eq!(status, 200);
    (request, answer)
}

#[tokio::test]
async fn partial_refunds_are_accepted_up_to_the_consume_then_notified() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let paid = paid_consume(&sim, &rsa_signer(), "1000", &receiver.url).await;
    receiver.wait_for(1).await;

    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid.query_id,
        "600",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("00"));
    let refund_query_id = answer.get("queryId").unwrap().to_string();
    let bodies = receiver.wait_for(2).await;
    let notice = read_notification(&bodies[1], MER_ID, &sim.verifier(), now()).unwrap();
    assert_eq!(notice.outcome, NotifiedOutcome::Succeeded);
    assert_eq!(notice.txn_type.map(|t| t.code()), Some("04"));
    assert_eq!(notice.query_id.as_deref(), Some(refund_query_id.as_str()));
    assert_eq!(
        notice.original_query_id.as_deref(),
        Some(paid.query_id.as_str())
    );

    // 400 remain: 500 is refused, 400 accepted.
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid.query_id,
        "500",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("36"));
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid.query_id,
        "400",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("00"));
    let state = sim
        .get_json(&format!("/sim/unionpay/transactions/{}", paid.query_id))
        .await;
    assert_eq!(state["refunded_fen"], 1000);
}

#[tokio::test]
async fn a_void_takes_the_whole_consume_once() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let paid = paid_consume(&sim, &rsa_signer(), "700", &receiver.url).await;
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "31",
        &paid.query_id,
        "699",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("36"));
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "31",
        &paid.query_id,
        "700",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("00"));
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid.query_id,
        "1",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("35"));
}

#[tokio::test]
async fn a_back_notification_is_retried_until_acknowledged() {
    let sim = start_sim(vec![0, 50, 50, 50]).await;
    let receiver = start_receiver(2).await;
    let paid = paid_consume(&sim, &rsa_signer(), "100", &receiver.url).await;
    let bodies = receiver.wait_for(3).await;
    for body in &bodies {
        read_notification(body, MER_ID, &sim.verifier(), now()).unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.bodies.lock().unwrap().len(), 3);
    let state = sim
        .get_json(&format!("/sim/unionpay/transactions/{}", paid.query_id))
        .await;
    assert_eq!(state["notify_attempts"], 3);
    assert_eq!(state["notify_acknowledged"], true);
}

#[tokio::test]
async fn faults_drop_duplicate_notifications_and_blur_queries() {
    let sim = start_sim(vec![0, 50]).await;
    let receiver = start_receiver(0).await;
    let (status, _) = sim
        .post_json(
            "/sim/unionpay/faults",
            serde_json::json!({ "notify": "drop" }),
        )
        .await;
    assert_eq!(status, 200);
    let dropped = paid_consume(&sim, &rsa_signer(), "100", &receiver.url).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(receiver.bodies.lock().unwrap().is_empty());

    sim.post_json(
        "/sim/unionpay/faults",
        serde_json::json!({ "notify": "duplicate", "query_orig_resp_code": "05" }),
    )
    .await;
    paid_consume(&sim, &rsa_signer(), "100", &receiver.url).await;
    receiver.wait_for(2).await;
    let (request, answer) = query(
        &sim,
        &rsa_signer(),
        "5.1.0",
        (&dropped.order_id, &dropped.txn_time),
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert!(matches!(
        QueryOutcome::from_answer(&answer).unwrap(),
        QueryOutcome::Found(found) if matches!(found.state, OriginalState::InProgress { .. })
    ));
    let (status, _) = sim
        .post_json(
            "/sim/unionpay/faults",
            serde_json::json!({ "query_orig_resp_code": "00" }),
        )
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_timeout_fault_answers_03_without_acting() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let paid = paid_consume(&sim, &rsa_signer(), "500", &receiver.url).await;
    sim.post_json(
        "/sim/unionpay/faults",
        serde_json::json!({ "answer_timeout": true }),
    )
    .await;
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid.query_id,
        "500",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("03"));
    let state = sim
        .get_json(&format!("/sim/unionpay/transactions/{}", paid.query_id))
        .await;
    assert_eq!(state["refunded_fen"], 0);

    let (status, _) = sim
        .http
        .delete(format!("{}/sim/unionpay/faults", sim.base))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 200);
    let (request, answer) = back(
        &sim,
        &rsa_signer(),
        "04",
        &paid.query_id,
        "500",
        &receiver.url,
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("respCode"), Some("00"));
}
