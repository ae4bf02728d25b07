//! Pre-authorization's back operations: completion up to 115 % of the hold and within 30 days
//! of it, completion void, pre-auth void.

use super::back::back;
use super::common::*;
use super::front::{paid_front, paid_front_at};
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

/// The `txnTime` of an order made `days` and `hours` ago, Beijing time.
fn txn_time_ago(days: i64, hours: i64) -> String {
    let then = chrono::Utc::now() - chrono::TimeDelta::days(days) - chrono::TimeDelta::hours(hours);
    then.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y%m%d%H%M%S")
        .to_string()
}

#[tokio::test]
async fn a_hold_is_completed_within_30_days_and_refused_39_after() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let signer = rsa_signer();
    let late = paid_front_at(
        &sim,
        &signer,
        "02",
        "1000",
        &receiver.url,
        txn_time_ago(30, 1),
    )
    .await;
    let in_time = paid_front_at(
        &sim,
        &signer,
        "02",
        "1000",
        &receiver.url,
        txn_time_ago(29, 23),
    )
    .await;
    receiver.wait_for(2).await;

    assert_eq!(
        code(&sim, "03", &late.query_id, "1000", &receiver.url)
            .await
            .0,
        "39",
        "more than 30 days after the hold"
    );
    // Nothing was taken in: the late hold can still be released.
    assert_eq!(
        code(&sim, "32", &late.query_id, "1000", &receiver.url)
            .await
            .0,
        "00"
    );
    assert_eq!(
        code(&sim, "03", &in_time.query_id, "1000", &receiver.url)
            .await
            .0,
        "00",
        "within 30 days of the hold"
    );
}
