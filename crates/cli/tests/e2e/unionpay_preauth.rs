//! Pre-authorisation through UnionPay's gateway end to end: a hold (`02`) paid at the gateway's
//! page, a capture (completion `03`) of part of it taken in by the gateway and settled by the
//! operation's query or its back notification (once, whichever comes first), a capture of up
//! to 115 % of the hold and one above that refused before the bank is asked, a cancel
//! (pre-authorisation void `32`) releasing the hold, and refunds of the captured amount naming
//! the completion (all of it on its day: a completion void `33`).

use crate::harness::World;
use crate::unionpay::{Gateway, hold_at_gateway, set_gateway_faults, start_gateway};
use crate::unionpay_refunds::{
    assert_api_error, assert_ledger_holds, at_gateway, kept_about, refunded,
};
use serde_json::json;
use unipay_client::{CreateRefund, Payment};

/// A UnionPay pre-authorisation of `amount` fen held at the gateway, authorised by its back
/// notification.
pub(crate) async fn held(world: &World, out_trade_no: &str, amount: i64) -> Payment {
    let (payment, _, _) = hold_at_gateway(world, out_trade_no, amount).await;
    assert_eq!(payment.capture.as_deref(), Some("manual"));
    let held = world
        .wait_for_payment(&payment.id, |p| p.status == "authorized")
        .await;
    assert_eq!(
        held.status, "authorized",
        "authorised by the back notification"
    );
    assert!(held.channel_trade_no.is_some(), "the hold's queryId kept");
    held
}

/// The gateway's record of the hold `payment` was authorised by.
async fn hold_at(world: &World, gateway: &Gateway, hold_query_id: &str) -> serde_json::Value {
    let hold = at_gateway(world, gateway, hold_query_id).await;
    assert_eq!(hold["txn_type"], "02", "{hold}");
    hold
}

/// Proves a capture of part of a UnionPay hold goes as a completion (`03`) naming the hold by
/// its queryId and ends once (repeats answer alike, its back notification changes nothing
/// more); that a cancel after the capture is refused; and that refunds reach the captured
/// amount only, naming the completion. The books balance throughout.
pub async fn unionpay_preauth_capture_part_then_refund(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = held(world, "UPA-CAPTURE", 1000).await;
    let hold_query_id = payment.channel_trade_no.clone().unwrap();
    let client = &world.client;

    let captured = client
        .capture_payment(&payment.id, Some(600))
        .await
        .unwrap();
    assert_eq!(
        (
            captured.status.as_ref(),
            captured.captured_amount,
            captured.amount
        ),
        ("succeeded", Some(600), 1000)
    );
    let again = client
        .capture_payment(&payment.id, Some(600))
        .await
        .unwrap();
    assert_eq!(again.captured_amount, Some(600));
    assert_api_error(
        client.capture_payment(&payment.id, Some(700)).await,
        409,
        "payment_already_captured",
    );
    assert_api_error(
        client.cancel_payment(&payment.id).await,
        409,
        "payment_already_captured",
    );
    world
        .assert_notified_once(&payment.id, &["payment.authorized", "payment.succeeded"])
        .await;

    let completion_query_id = captured
        .channel_trade_no
        .clone()
        .expect("the completion's queryId");
    assert_ne!(completion_query_id, hold_query_id);
    let completion = at_gateway(world, &gateway, &completion_query_id).await;
    assert_eq!(completion["txn_type"], "03", "{completion}");
    assert_eq!(completion["amount_fen"], json!(600), "{completion}");
    assert_eq!(
        completion["orig_query_id"].as_str(),
        Some(&*hold_query_id),
        "names the hold by its queryId"
    );
    assert_eq!(
        completion["notify_acknowledged"],
        json!(true),
        "{completion}"
    );
    assert_eq!(
        kept_about(world, "server_notification", &completion_query_id).await,
        ["accepted"],
        "the completion's back notification heard and believed, once"
    );
    hold_at(world, &gateway, &hold_query_id).await;
    assert_ledger_holds(world, "the capture").await;

    assert_api_error(
        client
            .create_refund(
                &payment.id,
                &CreateRefund {
                    out_refund_no: "UPA-R-TOO-MUCH".into(),
                    amount: 601,
                    reason: None,
                },
                None,
            )
            .await,
        409,
        "refund_exceeds_refundable",
    );
    let after = client.get_payment(&payment.id, false).await.unwrap();
    let (_, booked) = refunded(world, &gateway, &after, "UPA-R-1", 200).await;
    assert_eq!(booked["txn_type"], "04", "a part is a refund");
    let after = client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(
        (after.refunded_amount, after.captured_amount),
        (200, Some(600))
    );
    assert_ledger_holds(world, "the refund of a capture").await;
}

/// Proves a cancel of a UnionPay hold goes as a pre-authorisation void (`32`) and releases it
/// once: a repeat answers alike, nothing can be captured afterwards, and the business system
/// hears of it once.
pub async fn unionpay_preauth_cancel_releases_the_hold(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = held(world, "UPA-CANCEL", 500).await;
    let hold_query_id = payment.channel_trade_no.clone().unwrap();
    let client = &world.client;
    let cancelled = client.cancel_payment(&payment.id).await.unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(
        client.cancel_payment(&payment.id).await.unwrap().status,
        "cancelled"
    );
    assert_api_error(
        client.capture_payment(&payment.id, None).await,
        409,
        "payment_cancelled",
    );
    world
        .assert_notified_once(&payment.id, &["payment.authorized", "payment.cancelled"])
        .await;
    let hold = hold_at(world, &gateway, &hold_query_id).await;
    assert_eq!(
        hold["voided"],
        json!(true),
        "the gateway released the hold: {hold}"
    );
    assert_ledger_holds(world, "the cancel").await;
}

/// Proves a refund of all a UnionPay hold captured, asked on the completion's own day, goes as
/// a completion void (`33`) naming the completion, finishes once, and leaves the books
/// balanced; nothing is left to refund afterwards.
pub async fn unionpay_preauth_whole_refund_on_the_day_is_a_completion_void(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = held(world, "UPA-VOID-CAPTURE", 800).await;
    let captured = world
        .client
        .capture_payment(&payment.id, None)
        .await
        .unwrap();
    assert_eq!(
        (captured.status.as_ref(), captured.captured_amount),
        ("succeeded", Some(800))
    );
    world
        .assert_notified_once(&payment.id, &["payment.authorized", "payment.succeeded"])
        .await;
    let (refund, booked) = refunded(world, &gateway, &captured, "UPA-VOID-R", 800).await;
    assert_eq!(booked["txn_type"], "33", "a completion void: {booked}");
    assert_eq!(refund.amount, 800);
    let completion = at_gateway(
        world,
        &gateway,
        captured.channel_trade_no.as_deref().unwrap(),
    )
    .await;
    assert_eq!(completion["voided"], json!(true), "{completion}");
    assert_api_error(
        world
            .client
            .create_refund(
                &payment.id,
                &CreateRefund {
                    out_refund_no: "UPA-VOID-R2".into(),
                    amount: 1,
                    reason: None,
                },
                None,
            )
            .await,
        409,
        "refund_exceeds_refundable",
    );
    assert_ledger_holds(world, "the completion void").await;
}

/// Proves a capture of a UnionPay hold may take up to 115 % of it (the extra collected too, the
/// books balanced, the refundable base the captured amount) and that one fen more is refused
/// before the bank is asked, storing nothing.
pub async fn unionpay_preauth_capture_up_to_115_percent(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = held(world, "UPA-OVER", 1000).await;
    let client = &world.client;

    world.quiet().await;
    let before = world.row_counts().await;
    assert_api_error(
        client.capture_payment(&payment.id, Some(1151)).await,
        409,
        "capture_exceeds_authorized",
    );
    world
        .assert_nothing_stored(&before, 1, "a capture above 115 % of the hold")
        .await;

    let captured = client
        .capture_payment(&payment.id, Some(1150))
        .await
        .unwrap();
    assert_eq!(
        (
            captured.status.as_ref(),
            captured.captured_amount,
            captured.amount
        ),
        ("succeeded", Some(1150), 1000)
    );
    let events = world
        .assert_notified_once(&payment.id, &["payment.authorized", "payment.succeeded"])
        .await;
    let succeeded = events
        .iter()
        .find(|e| e.event_type == "payment.succeeded")
        .unwrap();
    let body: serde_json::Value = serde_json::from_str(&succeeded.body).unwrap();
    assert_eq!(body["data"]["captured_amount"], json!(1150), "{body}");
    let completion = at_gateway(
        world,
        &gateway,
        captured.channel_trade_no.as_deref().unwrap(),
    )
    .await;
    assert_eq!(
        (
            completion["txn_type"].as_str(),
            completion["amount_fen"].as_i64()
        ),
        (Some("03"), Some(1150)),
        "{completion}"
    );
    assert_ledger_holds(world, "a capture above the hold").await;

    assert_api_error(
        client
            .create_refund(
                &payment.id,
                &CreateRefund {
                    out_refund_no: "UPA-OVER-R0".into(),
                    amount: 1151,
                    reason: None,
                },
                None,
            )
            .await,
        409,
        "refund_exceeds_refundable",
    );
    let (_, booked) = refunded(world, &gateway, &captured, "UPA-OVER-R1", 1050).await;
    assert_eq!(booked["txn_type"], "04", "{booked}");
    let after = client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(
        (after.refunded_amount, after.captured_amount),
        (1050, Some(1150))
    );
    assert_ledger_holds(world, "a refund beyond the hold's amount").await;
}

/// Proves a capture whose query never tells (the gateway's queries answer `05`, in progress)
/// is finished by the completion's back notification: the hold becomes captured once, the
/// business system hears of it once, and the books balance.
pub async fn unionpay_preauth_capture_finished_by_its_back_notification(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = held(world, "UPA-BY-NOTICE", 900).await;
    set_gateway_faults(world, &gateway, json!({"query_orig_resp_code": "05"})).await;
    // The answer is either the capture (the notification came while the call waited) or
    // "unknown" (it came after): the payment's end is the same.
    match world.client.capture_payment(&payment.id, Some(700)).await {
        Ok(captured) => assert_eq!(captured.captured_amount, Some(700)),
        other => assert_api_error(other, 503, "bank_result_unknown"),
    }
    let captured = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(
        (captured.status.as_ref(), captured.captured_amount),
        ("succeeded", Some(700)),
        "captured by the back notification"
    );
    world
        .assert_notified_once(&payment.id, &["payment.authorized", "payment.succeeded"])
        .await;
    set_gateway_faults(world, &gateway, json!({})).await;
    let completion_query_id = captured.channel_trade_no.clone().unwrap();
    assert_eq!(
        kept_about(world, "server_notification", &completion_query_id).await,
        ["accepted"],
        "the completion's back notification believed once"
    );
    assert_ledger_holds(world, "a capture finished by its notification").await;
}
