//! With a state file, merchants and the book survive a restart.

use super::common::*;
use super::front::{paid_consume, query};
use unipay_channel_unionpay::messages::read_answer;

#[tokio::test]
async fn merchants_and_transactions_come_back_after_a_restart() {
    let path = std::env::temp_dir().join(format!("upsim-state-{}.json", rand::random::<u64>()));
    let sim = start_sim_with(vec![0], Some(path.clone())).await;
    sim.register_merchant().await;
    let receiver = start_receiver(0).await;
    let paid = paid_consume(&sim, &rsa_signer(), "4321", &receiver.url).await;
    receiver.wait_for(1).await;
    sim.stop().await;

    let sim = start_sim_with(vec![0], Some(path.clone())).await;
    let (request, answer) = query(
        &sim,
        &rsa_signer(),
        "5.1.0",
        (&paid.order_id, &paid.txn_time),
    )
    .await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    assert_eq!(answer.get("origRespCode"), Some("00"));
    assert_eq!(answer.get("txnAmt"), Some("4321"));
    sim.stop().await;
    let _ = std::fs::remove_file(&path);
}
