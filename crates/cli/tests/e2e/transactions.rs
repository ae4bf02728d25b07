//! The transaction flow end to end: paging by cursor across page boundaries while payments are
//! being created, filters, and the bank's own records of a day's hours.

use crate::harness::World;
use serde_json::Value;
use std::collections::BTreeSet;

async fn page(world: &World, query: &str) -> Value {
    let raw = world
        .client
        .send("GET", &format!("/v1/transactions?{query}"), b"", &[])
        .await
        .unwrap();
    assert_eq!(raw.status, 200, "{}", raw.body);
    raw.json()
}

/// Proves paging with a cursor returns every row that existed when paging began exactly once,
/// in order, while other payments are created between the pages.
pub async fn paging_across_boundaries_while_creating(world: &mut World) {
    let mut before = BTreeSet::new();
    for i in 0..25 {
        before.insert(
            world
                .create(&format!("FLOW-{i}"), 100 + i)
                .await
                .id
                .into_owned(),
        );
    }
    let paid = world.pay("FLOW-PAID", 900, "server").await;
    world
        .wait_for_payment(&paid.id, |p| p.status == "succeeded")
        .await;
    before.insert(paid.id.to_string());
    let refund = world
        .client
        .create_refund(
            &paid.id,
            &unipay_client::CreateRefund {
                out_refund_no: "FLOW-R1".into(),
                amount: 300,
                reason: None,
            },
            None,
        )
        .await
        .unwrap();
    before.insert(refund.id.to_string());

    let mut seen = Vec::new();
    let mut cursor = String::new();
    let mut pages = 0;
    loop {
        let query = if cursor.is_empty() {
            "limit=7".to_string()
        } else {
            format!("limit=7&cursor={cursor}")
        };
        let body = page(world, &query).await;
        pages += 1;
        for row in body["data"].as_array().unwrap() {
            seen.push((
                row["created_at"].as_str().unwrap().to_string(),
                row["id"].as_str().unwrap().to_string(),
            ));
        }
        // Rows created meanwhile land after the cursor or before it, never shifting the pages.
        world.create(&format!("FLOW-LATE-{pages}"), 1).await;
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
        assert!(pages < 50, "paging ends");
    }
    let ids: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
    let unique: BTreeSet<&String> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no row twice");
    for id in &before {
        assert!(unique.contains(id), "{id} listed");
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, seen, "oldest first");
    assert!(pages >= 4);

    let refunds = page(world, "type=refund").await;
    let rows = refunds["data"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["id"].as_str(), Some(refund.id.as_ref()));
    assert_eq!(rows[0]["payment_id"].as_str(), Some(paid.id.as_ref()));
    let succeeded = page(world, "type=payment&status=succeeded").await;
    assert_eq!(succeeded["data"].as_array().unwrap().len(), 1);
    let bad = world
        .client
        .send("GET", "/v1/transactions?cursor=zz", b"", &[])
        .await
        .unwrap();
    assert_eq!(bad.error_code().as_deref(), Some("invalid_request"));

    // The bank's records of the payment's day hold it: the transaction flow is asked by the
    // calendar date of the bank's clock (UTC+8), which differs from the accounting date after
    // the cut-over hour.
    let done = world.client.get_payment(&paid.id, false).await.unwrap();
    let paid_at = chrono::DateTime::parse_from_rfc3339(done.paid_at.as_deref().unwrap()).unwrap();
    let beijing = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let date = paid_at
        .with_timezone(&beijing)
        .format("%Y-%m-%d")
        .to_string();
    let raw = world
        .client
        .send(
            "GET",
            &format!("/v1/channel-transactions?date={date}&start_hour=0&end_hour=23"),
            b"",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(raw.status, 200, "{}", raw.body);
    let records = raw.json()["records"].as_array().unwrap().clone();
    assert!(
        records
            .iter()
            .any(|r| r["order_no"].as_str() == Some(paid.channel_order_no.as_ref())),
        "{records:?}"
    );
}

/// Two apps of one merchant share its channel account, and so the bank's records: each app
/// sees only the lines of its own orders, and may ask only a few times a minute.
pub async fn channel_records_show_only_the_apps_own(world: &mut World) {
    let other = crate::harness::admin(&[
        "create-app",
        "--database-url",
        &world.db_url(),
        "--merchant",
        &world.merchant_id,
        "--name",
        "canteen",
        "--channel-account",
        &world.channel_account_id,
        "--json",
    ])
    .await;
    let other_client = unipay_client::Client::new(
        &world.server_url,
        other["app_id"].as_str().unwrap(),
        other["secret"].as_str().unwrap(),
    )
    .unwrap();
    let theirs = other_client
        .create_payment(&unipay_client::CreatePayment {
            out_trade_no: "CANTEEN-1".into(),
            amount: 700,
            currency: "CNY".into(),
            subject: "午餐 Lunch".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    world.checkout(&theirs).await;
    world
        .bank_pays(&theirs.channel_order_no, "success", "server")
        .await;
    let ours = world.pay("TUITION-1", 900, "server").await;

    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    let path = format!("/v1/channel-transactions?date={today}");
    let order_nos = |raw: &unipay_client::RawResponse| -> BTreeSet<String> {
        assert_eq!(raw.status, 200, "{}", raw.body);
        raw.json()["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["order_no"].as_str().unwrap().to_string())
            .collect()
    };
    let seen_by_us = order_nos(&world.client.send("GET", &path, b"", &[]).await.unwrap());
    assert_eq!(
        seen_by_us,
        BTreeSet::from([ours.channel_order_no.to_string()])
    );
    let seen_by_them = order_nos(&other_client.send("GET", &path, b"", &[]).await.unwrap());
    assert_eq!(
        seen_by_them,
        BTreeSet::from([theirs.channel_order_no.to_string()])
    );

    // Six calls a minute (the default): the first above, five more, then a refusal.
    for _ in 0..5 {
        let raw = world.client.send("GET", &path, b"", &[]).await.unwrap();
        assert_eq!(raw.status, 200, "{}", raw.body);
    }
    let refused = world.client.send("GET", &path, b"", &[]).await.unwrap();
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(refused.error_code().as_deref(), Some("rate_limited"));
}
