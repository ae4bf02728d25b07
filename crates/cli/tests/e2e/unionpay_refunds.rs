//! Refunds of UnionPay payments end to end: partial and several partial refunds (refund `04`,
//! taken in by the gateway and finished by its back notification), an over-refund refused,
//! a refund whose notification never comes found by the janitor's query, and a refund of the
//! whole payment on its own day sent as a void (`31`).

use crate::harness::World;
use crate::unionpay::{Gateway, pay_at_gateway, set_gateway_faults, start_gateway};
use serde_json::{Value, json};
use std::time::Duration;
use unipay_client::{ClientError, CreateRefund, Payment, Refund};

/// What [`pay_at_gateway`] pays.
const PAID: i64 = 1234;

/// A UnionPay payment paid at the gateway and made a success by its back notification.
async fn paid(world: &World, out_trade_no: &str) -> Payment {
    let (payment, _, _) = pay_at_gateway(world, out_trade_no).await;
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded", "paid by the back notification");
    assert!(paid.channel_trade_no.is_some(), "UnionPay's queryId kept");
    paid
}

/// Asks for a refund: UnionPay only takes it in, so the answer is pending.
async fn ask_refund(world: &World, payment: &Payment, out_refund_no: &str, amount: i64) -> Refund {
    let refund = world
        .client
        .create_refund(
            &payment.id,
            &CreateRefund {
                out_refund_no: out_refund_no.into(),
                amount,
                reason: Some("退货 returned".into()),
            },
            None,
        )
        .await
        .expect("refund accepted");
    assert_eq!(refund.amount, amount);
    refund
}

/// Polls the refund until it is final or 15 s pass.
async fn wait_final(world: &World, id: &str) -> Refund {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let refund = world.client.get_refund(id).await.expect("gets the refund");
        if refund.status != "pending" || tokio::time::Instant::now() > deadline {
            return refund;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The gateway's own record of a transaction, by its queryId.
pub(crate) async fn at_gateway(world: &World, gateway: &Gateway, query_id: &str) -> Value {
    let response = world
        .http
        .get(format!(
            "{}/sim/unionpay/transactions/{query_id}",
            gateway.url
        ))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "the gateway has {query_id}");
    response.json().await.unwrap()
}

/// A refund asked, finished by the bank, notified once; the gateway's record of it.
pub(crate) async fn refunded(
    world: &World,
    gateway: &Gateway,
    payment: &Payment,
    out_refund_no: &str,
    amount: i64,
) -> (Refund, Value) {
    let asked = ask_refund(world, payment, out_refund_no, amount).await;
    let done = wait_final(world, &asked.id).await;
    assert_eq!(done.status, "succeeded", "{done:?}");
    assert!(done.finished_at.is_some());
    // Read once quiet: the janitor's query may finish the refund before the gateway's back
    // notification arrives, and the gateway's book says whether that was acknowledged.
    let events = world
        .assert_notified_once(&done.id, &["refund.succeeded"])
        .await;
    let query_id = done.channel_refund_no.clone().expect("UnionPay's queryId");
    let booked = at_gateway(world, gateway, &query_id).await;
    assert_eq!(booked["amount_fen"], json!(amount), "{booked}");
    assert_eq!(
        booked["orig_query_id"].as_str(),
        payment.channel_trade_no.as_deref(),
        "names the payment by its queryId"
    );
    let body: Value = serde_json::from_str(&events[0].body).unwrap();
    assert_eq!(body["data"]["amount"], json!(amount));
    (done, booked)
}

/// The kept messages of `source` (`server_notification`, `refund_query`) about the refund
/// UnionPay knows by `query_id`, with their verdicts.
pub(crate) async fn kept_about(world: &World, source: &str, query_id: &str) -> Vec<String> {
    let store = world.store().await;
    let kept = store.list_bank_messages(None).await.unwrap();
    store.close().await;
    let named = format!("queryId={query_id}&");
    kept.into_iter()
        .filter(|m| m.source == source && m.raw_masked.contains(&named))
        .map(|m| m.verdict)
        .collect()
}

pub(crate) async fn assert_ledger_holds(world: &World, after: &str) {
    let store = world.store().await;
    let ledger = store.check_ledger().await.expect("ledger check");
    assert!(ledger.holds(), "the ledger holds after {after}: {ledger:?}");
    store.close().await;
}

pub(crate) fn assert_api_error<T: std::fmt::Debug>(
    result: Result<T, ClientError>,
    status: u16,
    code: &str,
) {
    match result {
        Err(ClientError::Api(error)) => {
            assert_eq!(
                (error.status, error.code.as_str()),
                (status, code),
                "{error}"
            );
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

/// Proves partial refunds of a UnionPay payment go as refunds (04) naming the payment by its
/// queryId, each finished by the gateway's back notification and notified once, up to the
/// paid amount; and that more than is left is refused with its code, changing nothing.
pub async fn unionpay_partial_refunds_and_over_refund(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = paid(world, "UPR-PARTS").await;

    // More than was paid: refused before the bank is asked, nothing stored.
    world.quiet().await;
    let before = world.row_counts().await;
    let too_much = world
        .client
        .create_refund(
            &payment.id,
            &CreateRefund {
                out_refund_no: "UPR-TOO-MUCH".into(),
                amount: PAID + 1,
                reason: None,
            },
            None,
        )
        .await;
    assert_api_error(too_much, 409, "refund_exceeds_refundable");
    world
        .assert_nothing_stored(&before, 1, "an over-refund")
        .await;

    let mut made = Vec::new();
    for (i, amount) in [234, 500, 500].into_iter().enumerate() {
        // The second one's back notification comes twice: one change, one notification.
        let faults = if i == 1 {
            json!({"notify": "duplicate"})
        } else {
            json!({})
        };
        set_gateway_faults(world, &gateway, faults).await;
        let (refund, booked) =
            refunded(world, &gateway, &payment, &format!("UPR-PART-{i}"), amount).await;
        assert_eq!(booked["txn_type"], "04", "a part is a refund, never a void");
        assert_eq!(booked["notify_acknowledged"], json!(true), "{booked}");
        let query_id = refund.channel_refund_no.as_deref().unwrap();
        let notified = kept_about(world, "server_notification", query_id).await;
        assert_eq!(
            notified,
            ["accepted"],
            "the back notification heard and believed"
        );
        made.push(refund);
        assert_ledger_holds(world, &format!("refund {i}")).await;
    }
    set_gateway_faults(world, &gateway, json!({})).await;
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(
        (after.status.as_ref(), after.refunded_amount),
        ("succeeded", PAID)
    );
    let original = at_gateway(
        world,
        &gateway,
        payment.channel_trade_no.as_deref().unwrap(),
    )
    .await;
    assert_eq!(original["refunded_fen"], json!(PAID), "{original}");
    let listed = world.client.list_refunds(&payment.id).await.unwrap();
    assert_eq!(listed, made);

    // Nothing is left: one more fen is refused, and nothing changes.
    world.quiet().await;
    let before = world.row_counts().await;
    let more = world
        .client
        .create_refund(
            &payment.id,
            &CreateRefund {
                out_refund_no: "UPR-ONE-MORE".into(),
                amount: 1,
                reason: None,
            },
            None,
        )
        .await;
    assert_api_error(more, 409, "refund_exceeds_refundable");
    world
        .assert_nothing_stored(&before, 1, "a refund of a refunded payment")
        .await;
    assert_ledger_holds(world, "the refusals").await;
}

/// Proves a refund whose back notification the gateway never delivers is finished by the
/// janitor's query of the refund (taken in is not done: it stays pending until then), and
/// notified once.
pub async fn unionpay_refund_found_by_query_when_its_notification_is_dropped(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = paid(world, "UPR-DROP").await;
    set_gateway_faults(world, &gateway, json!({"notify": "drop"})).await;
    let asked = ask_refund(world, &payment, "UPR-DROP-1", 300).await;
    assert_eq!(asked.status, "pending", "taken in is not done");
    let done = wait_final(world, &asked.id).await;
    assert_eq!(done.status, "succeeded", "found by the janitor's query");
    let booked = at_gateway(world, &gateway, done.channel_refund_no.as_deref().unwrap()).await;
    assert_eq!(booked["notify_acknowledged"], json!(false), "{booked}");
    let query_id = done.channel_refund_no.as_deref().unwrap();
    assert!(
        kept_about(world, "server_notification", query_id)
            .await
            .is_empty()
    );
    assert!(
        kept_about(world, "refund_query", query_id)
            .await
            .contains(&"accepted".to_string()),
        "the janitor's query finished it"
    );
    world
        .assert_notified_once(&done.id, &["refund.succeeded"])
        .await;
    set_gateway_faults(world, &gateway, json!({})).await;
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 300);
    assert_ledger_holds(world, "a refund found by query").await;
}

/// Proves a refund of the whole payment asked on the payment's own UnionPay day goes as a
/// consume void (31), which the gateway books against the payment, and is finished and
/// notified like any refund. A payment made after UnionPay's 23:00 cut-over is on the next
/// day, and so is a refund moments later: a void all the same. (A whole refund on a later day,
/// which goes as a refund `04`, is unit-tested with a pinned clock.)
pub async fn unionpay_whole_refund_on_the_day_is_a_void(world: &mut World) {
    let gateway = start_gateway(world).await;
    let paid_on = unionpay_day();
    let payment = paid(world, "UPR-VOID").await;
    let (_, booked) = refunded(world, &gateway, &payment, "UPR-VOID-1", PAID).await;
    let original = at_gateway(
        world,
        &gateway,
        payment.channel_trade_no.as_deref().unwrap(),
    )
    .await;
    // A run across 23:00 itself cannot tell which side of it the platform saw.
    if paid_on == unionpay_day() {
        assert_eq!(booked["txn_type"], "31", "{booked}");
        assert_eq!(original["voided"], json!(true), "{original}");
    }
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, PAID);
    assert_ledger_holds(world, "a void").await;
}

/// UnionPay's day now: the Beijing date, the next one from 23:00.
fn unionpay_day() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8 + 1)).date_naive()
}

/// Proves a refund batch of UnionPay payments, which the gateway cannot take, is rejected at
/// once: its line's refund fails (notified once, its money released), and the payment is then
/// refunded on its own.
pub async fn unionpay_refund_batch_is_rejected_as_not_offered(world: &mut World) {
    let gateway = start_gateway(world).await;
    let payment = paid(world, "UPR-BATCH").await;
    let answer = world
        .client
        .create_refund_batch(&json!({
            "out_batch_no": "UPB-1",
            "lines": [{"payment_id": payment.id, "out_refund_no": "UPB-L1", "amount": 100}],
        }))
        .await
        .unwrap();
    assert_eq!(answer.status, 201, "{}", answer.body);
    let id = answer.json()["id"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let batch = loop {
        let batch = world.client.get_refund_batch(&id).await.unwrap();
        if batch["status"] == "rejected" || tokio::time::Instant::now() > deadline {
            break batch;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(batch["status"], "rejected", "{batch}");
    let line = world.client.find_refund("UPB-L1").await.unwrap();
    assert_eq!(line.status, "failed", "{line:?}");
    assert!(
        line.failure_reason
            .as_deref()
            .is_some_and(|r| r.contains("not_offered")),
        "{line:?}"
    );
    world
        .assert_notified_once(&line.id, &["refund.failed"])
        .await;
    let after = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(after.refunded_amount, 0);
    assert_ledger_holds(world, "a rejected batch").await;
    let (_, booked) = refunded(world, &gateway, &payment, "UPB-SINGLE", 100).await;
    assert_eq!(booked["txn_type"], "04");
    assert_ledger_holds(world, "the refund on its own").await;
}
