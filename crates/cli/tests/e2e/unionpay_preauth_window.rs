//! A UnionPay hold's capture window: a completion comes within 30 days of the hold, so a
//! capture asked later is refused by unipay before the gateway is asked
//! (`capture_window_closed`), and nothing changes.

use crate::harness::World;
use crate::unionpay::start_gateway;
use crate::unionpay_preauth::held;
use crate::unionpay_refunds::at_gateway;
use serde_json::{Value, json};

const DAY_MS: u32 = 86_400_000;
const HOUR_MS: u32 = 3_600_000;

/// Proves a capture of a UnionPay hold asked 30 days and an hour after it is refused with
/// `capture_window_closed` without a call to the bank: the payment stays authorized as it
/// was, the gateway's hold uncompleted, no row written, and the business system hears
/// nothing more.
pub async fn unionpay_capture_after_30_days_is_refused_before_the_bank(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = held(world, "UPA-WINDOW", 1000).await;
    let hold_query_id = payment.channel_trade_no.clone().unwrap();
    world.quiet().await;

    // The test clock moves a day at a time at most.
    for _ in 0..30 {
        world.advance_clock(DAY_MS).await;
    }
    world.advance_clock(HOUR_MS).await;
    let ahead_s = 30 * 86_400 + 3_600;

    let store = world.store().await;
    let before_row = store.get_payment(&payment.id).await.unwrap().unwrap();
    store.close().await;
    let before = world.row_counts().await;
    let bank_calls = preauth_calls(world).await;

    let (status, answer) = capture_signed_ahead(world, &payment.id, ahead_s).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "capture_window_closed", "{answer}");

    assert_eq!(
        preauth_calls(world).await,
        bank_calls,
        "the bank was not asked"
    );
    world
        .assert_nothing_stored_but_pruned(&before, "a capture after the window")
        .await;
    let store = world.store().await;
    let after_row = store.get_payment(&payment.id).await.unwrap().unwrap();
    store.close().await;
    assert_eq!(after_row, before_row, "the payment is as it was");
    assert_eq!(after_row.status.as_str(), "authorized");
    let hold = at_gateway(world, &gateway, &hold_query_id).await;
    assert_eq!(hold["completed"], json!(false), "{hold}");
    world
        .assert_notified_once(&payment.id, &["payment.authorized"])
        .await;
}

/// A capture of everything, signed as of `ahead_s` seconds from now (the server's clock has
/// moved that far; its signature window is 300 s); the status and the JSON answer.
async fn capture_signed_ahead(world: &World, payment_id: &str, ahead_s: i64) -> (u16, Value) {
    let nonce = format!("window-{}", unipay_core::ids::random_token(16));
    let response = world
        .client
        .send_signed_as(
            "POST",
            &format!("/v1/payments/{payment_id}/capture"),
            b"{}",
            &[],
            chrono::Utc::now().timestamp() + ahead_s,
            &nonce,
            &world.secret,
        )
        .await
        .unwrap();
    let answer = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    (response.status, answer)
}

/// How many pre-authorisation calls the server has made to its banks.
async fn preauth_calls(world: &World) -> u64 {
    let text = world.metrics_text().await;
    text.lines()
        .filter(|line| {
            line.starts_with("unipay_bank_call_duration_seconds_count")
                && line.contains("call=\"preauth\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}
