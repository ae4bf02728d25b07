//! Pre-authorization's back operations: completion up to 115 % of the hold, completion void,
//! pre-auth void.

use super::back::back;
use super::common::*;
use super::front::paid_front;
use unipay_channel_unionpay::messages::{NotifiedOutcome, read_answer, read_notification};

async fn code(sim: &Sim, txn_type: &str, orig: &str, amount: &str, url: &str) -> (String, String) {
    let (request, answer) = back(sim, &rsa_signer(), txn_type, orig, amount, url).await;
    let answer = read_answer(&answer, &request, &sim.verifier(), now()).unwrap();
    (
        answer.get("respCode").unwrap().to_string(),
        answer.get("queryId").unwrap_or_default().to_string(),
    )
}

#[tokio::test]
async fn a_hold_is_completed_within_115_percent_voided_back_and_released() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let hold = paid_front(&sim, &rsa_signer(), "02", "10000", &receiver.url).await;
    receiver.wait_for(1).await;

    assert_eq!(
        code(&sim, "03", &hold.query_id, "11501", &receiver.url)
            .await
            .0,
        "36"
    );
    let (completed, completion_id) = code(&sim, "03", &hold.query_id, "11500", &receiver.url).await;
    assert_eq!(completed, "00");
    let bodies = receiver.wait_for(2).await;
    let notice = read_notification(&bodies[1], MER_ID, &sim.verifier(), now()).unwrap();
    assert_eq!(notice.outcome, NotifiedOutcome::Succeeded);
    assert_eq!(notice.amount_fen, Some(11500));
    // Completed: neither a second completion nor a pre-auth void.
    assert_eq!(
        code(&sim, "03", &hold.query_id, "100", &receiver.url)
            .await
            .0,
        "35"
    );
    assert_eq!(
        code(&sim, "32", &hold.query_id, "10000", &receiver.url)
            .await
            .0,
        "35"
    );

    // The completion void gives the hold back, which can then be voided.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        code(&sim, "33", &completion_id, "11500", &receiver.url)
            .await
            .0,
        "00"
    );
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        code(&sim, "32", &hold.query_id, "9999", &receiver.url)
            .await
            .0,
        "36"
    );
    assert_eq!(
        code(&sim, "32", &hold.query_id, "10000", &receiver.url)
            .await
            .0,
        "00"
    );
    assert_eq!(
        code(&sim, "03", &hold.query_id, "100", &receiver.url)
            .await
            .0,
        "35"
    );
}
