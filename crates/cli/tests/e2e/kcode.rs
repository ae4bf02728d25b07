//! K-code payment end to end (网上K码支付): the bill, the code the simulated bank texts (read
//! from `/sim/sms`), the payment with it; wrong codes counted up to the limit, resends
//! rate-limited and voiding the old code, expired codes. Card and mobile never appear in full
//! in an answer or in the server's log.

use crate::harness::World;
use serde_json::{Value, json};
use std::time::Duration;
use unipay_client::RawResponse;

const CARD: &str = "6228480012345678901";
const MOBILE: &str = "13912345678";

/// Creates a K-code payment; the bank has texted its code when this returns.
async fn create_kcode(world: &World, out_trade_no: &str, amount: i64) -> Value {
    let body = json!({
        "out_trade_no": out_trade_no,
        "amount": amount,
        "currency": "CNY",
        "subject": "学费 Tuition",
        "method": "kcode",
        "card_no": CARD,
        "mobile_no": MOBILE,
    });
    let answer = post(world, "/v1/payments", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let payment = answer.json();
    assert_eq!(payment["status"], "pending");
    assert_eq!(payment["kcode"]["status"], "code_sent");
    assert_eq!(payment["kcode"]["card_no"], "622848*********8901");
    assert_eq!(payment["kcode"]["mobile_no"], "139****5678");
    payment
}

async fn post(world: &World, path: &str, body: &Value) -> RawResponse {
    world
        .client
        .send("POST", path, body.to_string().as_bytes(), &[])
        .await
        .expect("the server answers")
}

/// The codes texted to the mobile, newest first, for the order.
async fn texted_codes(world: &World, order_no: &str) -> Vec<String> {
    let texts: Value = world
        .http
        .get(format!("{}/sim/sms?mobile={MOBILE}", world.bank_url))
        .send()
        .await
        .expect("sim answers")
        .json()
        .await
        .expect("sim JSON");
    texts
        .as_array()
        .expect("a list")
        .iter()
        .filter(|text| text["order_no"] == order_no)
        .map(|text| text["code"].as_str().expect("a code").to_string())
        .collect()
}

async fn latest_code(world: &World, payment: &Value) -> String {
    let order_no = payment["channel_order_no"].as_str().expect("order no");
    texted_codes(world, order_no)
        .await
        .into_iter()
        .next()
        .expect("a code was texted")
}

async fn confirm(world: &World, payment: &Value, code: &str) -> RawResponse {
    let path = format!(
        "/v1/payments/{}/kcode/confirm",
        payment["id"].as_str().unwrap()
    );
    post(
        world,
        &path,
        &json!({
            "verify_code": code,
            "account_name": "张三",
            "certificate_type": "I",
            "certificate_no": "110101199003071234",
        }),
    )
    .await
}

async fn resend(world: &World, payment: &Value) -> RawResponse {
    let path = format!(
        "/v1/payments/{}/kcode/resend",
        payment["id"].as_str().unwrap()
    );
    post(world, &path, &json!({})).await
}

fn wrong(code: &str) -> String {
    if code == "000000" { "111111" } else { "000000" }.to_string()
}

/// Restarts the server with at most two resends. The interval between them stays its
/// default (60 s): a test moves the server's clock past it instead of sleeping, so a resend
/// asked at once is too soon however slow the machine, and one after the move never is.
async fn two_resends(world: &mut World) {
    let config = world.dir().join("unipay.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\n[kcode]\nmax_resends = 2\n");
    std::fs::write(&config, text).unwrap();
    world.kill_server().await;
    world.start_server().await;
}

/// Past the default resend interval (60 s), on the server's clock.
const PAST_THE_RESEND_INTERVAL_MS: u32 = 61_000;

/// The newest text the mobile received for the order.
async fn latest_text(world: &World, order_no: &str) -> Value {
    let texts: Value = world
        .http
        .get(format!("{}/sim/sms?mobile={MOBILE}", world.bank_url))
        .send()
        .await
        .expect("sim answers")
        .json()
        .await
        .expect("sim JSON");
    texts
        .as_array()
        .expect("a list")
        .iter()
        .find(|text| text["order_no"] == order_no)
        .cloned()
        .expect("a code was texted")
}

async fn set_desk(world: &World, settings: Value) {
    let set = world
        .http
        .post(format!("{}/sim/kcode", world.bank_url))
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success());
}

fn assert_error(answer: &RawResponse, status: u16, code: &str) {
    assert_eq!(
        (answer.status, answer.error_code().as_deref()),
        (status, Some(code)),
        "{}",
        answer.body
    );
}

/// Proves the whole K-code path: the texted code pays the order, the payment succeeds through
/// the usual state change (one `payment.succeeded`, the ledger holds: checked by the harness),
/// the bank books it (Query answers paid) and its notification changes nothing; a repeat of the
/// confirmation answers the same; card and mobile never appear in full in the log.
pub async fn kcode_success(world: &mut World) {
    let payment = create_kcode(world, "KC-OK-1", 12_345).await;
    let id = payment["id"].as_str().unwrap();
    let order_no = payment["channel_order_no"].as_str().unwrap();
    let code = latest_code(world, &payment).await;
    assert_eq!(code.len(), 6);

    let paid = confirm(world, &payment, &code).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let paid = paid.json();
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["kcode"]["status"], "paid");
    assert!(
        paid["channel_trade_no"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(paid["accounting_date"].as_str().is_some());

    let again = confirm(world, &payment, &code).await;
    assert_eq!(
        again.status, 200,
        "a repeat answers the same: {}",
        again.body
    );
    assert_eq!(again.json()["status"], "succeeded");

    // A K-code bill names no result address: the bank notifies nobody, the answer was the
    // result, and the business system hears it once.
    world.quiet().await;
    world.assert_notified_once(id, &["payment.succeeded"]).await;

    let synced = world.client.get_payment(id, true).await.unwrap();
    assert_eq!(synced.status, "succeeded");
    let sim = world.sim_order(order_no).await;
    assert_eq!(sim["status"], "04", "{sim}");
    assert_eq!(sim["notify_attempts"], 0, "{sim}");

    let log = std::fs::read_to_string(world.log_path()).unwrap_or_default();
    assert!(!log.contains(CARD), "the card number is never logged");
    assert!(!log.contains(MOBILE), "the mobile number is never logged");
}

/// Proves bad K-code creates are refused with their codes and store nothing, and a create
/// replayed under its Idempotency-Key answers the same payment without a second text.
pub async fn kcode_bad_input_and_idempotency(world: &mut World) {
    let base = json!({"out_trade_no": "KC-IDEM-1", "amount": 100, "currency": "CNY",
        "subject": "s", "method": "kcode", "card_no": CARD, "mobile_no": MOBILE});
    let before = world.row_counts().await;
    for (field, value) in [
        ("card_no", json!("1234")),
        ("mobile_no", json!("2391234567")),
        ("method", json!("sms")),
        ("card_no", json!(null)),
        ("capture", json!("manual")),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let answer = post(world, "/v1/payments", &body).await;
        assert_error(&answer, 400, "invalid_request");
        assert!(!answer.body.contains(CARD), "{}", answer.body);
    }
    // Refused for its body before the nonce is spent: nothing at all is stored, and no code
    // was texted.
    world
        .assert_nothing_stored(&before, 0, "bad K-code creates")
        .await;

    let key = [("idempotency-key", "kcode-idem-1".to_string())];
    let body = base.to_string();
    let send = || {
        world
            .client
            .send("POST", "/v1/payments", body.as_bytes(), &key)
    };
    let first = send().await.unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    let second = send().await.unwrap();
    assert_eq!(second.status, 201, "{}", second.body);
    let (first, second) = (first.json(), second.json());
    assert_eq!(first["id"], second["id"]);
    assert_eq!(second["kcode"]["status"], "code_sent");
    let order_no = first["channel_order_no"].as_str().unwrap();
    assert_eq!(texted_codes(world, order_no).await.len(), 1, "one text");
    let paid = confirm(world, &first, &latest_code(world, &first).await).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    world
        .wait_for_events(first["id"].as_str().unwrap(), 1)
        .await;
    assert_fingerprint_keyed(world, "kcode-idem-1", &body).await;
}

/// The retry fingerprint of a body holding a card number and a mobile is keyed: neither a plain
/// SHA-256 of the request as it is signed nor one of the body alone is stored, so the card
/// cannot be found by hashing guesses.
async fn assert_fingerprint_keyed(world: &World, idempotency_key: &str, body: &str) {
    use sha2::{Digest, Sha256};
    let plain_request = hex::encode(Sha256::digest(format!("POST\n/v1/payments\n{body}")));
    let plain_body = hex::encode(Sha256::digest(body));
    let dump = world.dump_text().await;
    let kept: Vec<&String> = dump
        .iter()
        .filter(|(table, text)| table == "idempotency_keys" && text.contains(idempotency_key))
        .map(|(_, text)| text)
        .collect();
    assert_eq!(kept.len(), 1, "the create's retry record is kept");
    for (table, text) in &dump {
        for plain in [&plain_request, &plain_body] {
            assert!(
                !text.contains(plain.as_str()),
                "{table} holds a plain SHA-256 of the K-code create"
            );
        }
    }
}

/// Proves a wrong code is refused with its code and counted, and the right one then pays.
pub async fn kcode_wrong_code_then_right(world: &mut World) {
    let payment = create_kcode(world, "KC-WRONG-1", 500).await;
    let id = payment["id"].as_str().unwrap();
    let code = latest_code(world, &payment).await;

    let refused = confirm(world, &payment, &wrong(&code)).await;
    assert_error(&refused, 422, "kcode_wrong_code");
    assert!(refused.body.contains("2 attempts left"), "{}", refused.body);
    let still = world.client.get_payment(id, false).await.unwrap();
    assert_eq!(still.status, "pending");

    let paid = confirm(world, &payment, &code).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    let paid = paid.json();
    assert_eq!(paid["status"], "succeeded");
    assert_eq!(paid["kcode"]["wrong_attempts"], 1);
    let events = world.wait_for_events(id, 1).await;
    assert_eq!(events[0].event_type, "payment.succeeded");
}

/// Proves the last wrong code allowed fails the payment (`payment.failed`), at the bank too,
/// and that the right code is refused afterwards.
pub async fn kcode_too_many_wrong_codes(world: &mut World) {
    let payment = create_kcode(world, "KC-LIMIT-1", 800).await;
    let id = payment["id"].as_str().unwrap();
    let order_no = payment["channel_order_no"].as_str().unwrap();
    let code = latest_code(world, &payment).await;
    let bad = wrong(&code);

    assert_error(
        &confirm(world, &payment, &bad).await,
        422,
        "kcode_wrong_code",
    );
    assert_error(
        &confirm(world, &payment, &bad).await,
        422,
        "kcode_wrong_code",
    );
    assert_error(
        &confirm(world, &payment, &bad).await,
        409,
        "kcode_attempts_exhausted",
    );
    let failed = world.client.get_payment(id, false).await.unwrap();
    assert_eq!(failed.status, "failed");
    assert_error(
        &confirm(world, &payment, &code).await,
        409,
        "kcode_attempts_exhausted",
    );
    assert_error(
        &resend(world, &payment).await,
        409,
        "kcode_attempts_exhausted",
    );

    world.assert_notified_once(id, &["payment.failed"]).await;
    let sim = world.sim_order(order_no).await;
    assert_eq!(sim["status"], "99", "the bank failed the order too: {sim}");
    let synced = world.client.get_payment(id, true).await.unwrap();
    assert_eq!(synced.status, "failed");
}

/// Proves a resend texts a new code and voids the old one, and resends are rate-limited (too
/// soon, then too many), each refusal with its code.
pub async fn kcode_resend(world: &mut World) {
    two_resends(world).await;
    let payment = create_kcode(world, "KC-RESEND-1", 2_000).await;
    let id = payment["id"].as_str().unwrap();
    let order_no = payment["channel_order_no"].as_str().unwrap();
    let first = latest_code(world, &payment).await;

    assert_error(&resend(world, &payment).await, 429, "kcode_resend_too_soon");
    world.advance_clock(PAST_THE_RESEND_INTERVAL_MS).await;
    let resent = resend(world, &payment).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert_eq!(resent.json()["kcode"]["resend_count"], 1);
    let codes = texted_codes(world, order_no).await;
    assert_eq!(codes.len(), 2, "two texts, newest first: {codes:?}");
    let second = codes[0].clone();
    if second != first {
        assert_error(
            &confirm(world, &payment, &first).await,
            422,
            "kcode_wrong_code",
        );
    }

    world.advance_clock(PAST_THE_RESEND_INTERVAL_MS).await;
    assert_eq!(resend(world, &payment).await.status, 200);
    world.advance_clock(PAST_THE_RESEND_INTERVAL_MS).await;
    assert_error(&resend(world, &payment).await, 429, "kcode_resend_limit");

    let newest = latest_code(world, &payment).await;
    let paid = confirm(world, &payment, &newest).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json()["status"], "succeeded");
    let events = world.wait_for_events(id, 1).await;
    assert_eq!(events[0].event_type, "payment.succeeded");
}

/// Proves an expired code is refused with its code and counts nothing, and a resend gives a
/// code that pays.
pub async fn kcode_code_expired(world: &mut World) {
    let payment = create_kcode(world, "KC-EXPIRED-1", 990).await;
    let id = payment["id"].as_str().unwrap();
    let order_no = payment["channel_order_no"].as_str().unwrap();
    let text = latest_text(world, order_no).await;
    let code = text["code"].as_str().unwrap().to_string();
    // The bank judges a code by the life it has when the code comes back: cut to 1 ms, this
    // one has expired as soon as the clock has passed the moment it was texted.
    set_desk(world, json!({"code_ttl_ms": 1})).await;
    let sent_at = text["sent_at_ms"].as_i64().unwrap();
    while chrono::Utc::now().timestamp_millis() <= sent_at + 1 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    let expired = confirm(world, &payment, &code).await;
    assert_error(&expired, 422, "kcode_code_expired");
    let still = world.client.get_payment(id, false).await.unwrap();
    assert_eq!(still.status, "pending");

    // The new code lives the desk's default five minutes: however slow the run, it pays.
    set_desk(world, json!({})).await;
    world.advance_clock(PAST_THE_RESEND_INTERVAL_MS).await;
    let resent = resend(world, &payment).await;
    assert_eq!(resent.status, 200, "{}", resent.body);
    assert_eq!(resent.json()["kcode"]["wrong_attempts"], 0);
    let fresh = latest_code(world, &payment).await;
    let paid = confirm(world, &payment, &fresh).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json()["status"], "succeeded");
    let events = world.wait_for_events(id, 1).await;
    assert_eq!(events[0].event_type, "payment.succeeded");
}

/// Proves the cashier offers the same flow as plain forms on our own pages: card and mobile,
/// then the texted code with the holder's details; a bad entry and a wrong code are shown on
/// the page; the right code pays and leads to the result page. No script on the pages.
pub async fn kcode_at_the_cashier(world: &mut World) {
    let payment = world.create("KC-CASHIER-1", 1_500).await;
    let page = |path: String| {
        let http = world.http.clone();
        async move { http.get(path).send().await.unwrap() }
    };
    let base = format!("{}/pay/{}/kcode", world.server_url, payment.id);
    let first = page(base.clone()).await;
    assert_eq!(first.status(), 200);
    let html = first.text().await.unwrap();
    assert!(
        html.contains("name=\"card_no\"") && !html.contains("<script"),
        "{html}"
    );
    // Like the checkout page, it names who is paid and by when (Beijing time).
    assert!(
        html.contains("data-test=\"merchant-name\">收款方 Payee: Tuition office<"),
        "{html}"
    );
    assert!(
        html.contains("data-test=\"deadline\"") && html.contains("北京时间 (UTC+8)"),
        "{html}"
    );

    let form = |path: String, fields: Vec<(&'static str, String)>| {
        let http = world.http.clone();
        async move { http.post(path).form(&fields).send().await.unwrap() }
    };
    let bad = form(
        base.clone(),
        vec![("card_no", "1234".into()), ("mobile_no", MOBILE.into())],
    )
    .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("12至19位"));
    // A mistake in the mobile keeps the card number typed.
    let bad_mobile = form(
        base.clone(),
        vec![("card_no", CARD.into()), ("mobile_no", "139".into())],
    )
    .await;
    assert_eq!(bad_mobile.status(), 422);
    let html = bad_mobile.text().await.unwrap();
    assert!(html.contains("11位手机号"), "{html}");
    assert!(
        html.contains(&format!(r#"value="{CARD}""#)),
        "the card is kept: {html}"
    );

    let sent = form(
        base.clone(),
        vec![("card_no", CARD.into()), ("mobile_no", MOBILE.into())],
    )
    .await;
    assert_eq!(sent.status(), 200);
    let html = sent.text().await.unwrap();
    assert!(html.contains("name=\"verify_code\"") && html.contains("139****5678"));
    assert!(!html.contains(CARD) && !html.contains(MOBILE));
    // A new code may be asked for only after a wait, counted down on the button.
    assert!(html.contains(r#"data-test="resend-countdown""#), "{html}");
    assert!(html.contains(r#"class="pay" data-test="kcode-pay""#));

    let code = texted_codes(world, &payment.channel_order_no)
        .await
        .into_iter()
        .next()
        .expect("a code was texted");
    let details = |code: String| {
        vec![
            ("verify_code", code),
            ("account_name", "李四".to_string()),
            ("certificate_type", "I".to_string()),
            ("certificate_no", "110101199003071234".to_string()),
        ]
    };
    let refused = form(format!("{base}/confirm"), details(wrong(&code))).await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("2 attempts left"), "{html}");
    // The holder's name and ID stay typed; the code does not.
    assert!(html.contains(r#"value="李四""#), "the name is kept: {html}");
    assert!(
        html.contains(r#"value="110101199003071234""#),
        "the ID is kept: {html}"
    );
    let last_try = form(format!("{base}/confirm"), details(wrong(&code))).await;
    assert_eq!(last_try.status(), 422);
    let html = last_try.text().await.unwrap();
    assert!(
        html.contains("Wrong code: 1 attempt left.") && html.contains("还可尝试1次"),
        "{html}"
    );

    let paid = form(format!("{base}/confirm"), details(code)).await;
    assert_eq!(paid.status(), 303);
    assert_eq!(
        paid.headers()["location"].to_str().unwrap(),
        format!("/pay/{}/result", payment.id)
    );
    let done = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(done.status, "succeeded");
    let events = world.wait_for_events(&payment.id, 1).await;
    assert_eq!(events[0].event_type, "payment.succeeded");
}

/// Proves a KPayReq whose answer is lost (the bank paid, the connection broke) is settled by
/// querying the order, as any payment of unknown outcome: the payment succeeds once.
pub async fn kcode_lost_answer_settled_by_query(world: &mut World) {
    let payment = create_kcode(world, "KC-LOST-1", 4_200).await;
    let id = payment["id"].as_str().unwrap();
    let code = latest_code(world, &payment).await;
    let set = world
        .http
        .post(format!("{}/sim/kcode", world.bank_url))
        .json(&json!({"lose_pay_answers": true}))
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success());

    let paid = confirm(world, &payment, &code).await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json()["status"], "succeeded");
    assert_eq!(paid.json()["kcode"]["status"], "paid");
    world.assert_notified_once(id, &["payment.succeeded"]).await;
}

/// Proves a payment link is no card-testing oracle: a payment asks the bank about at most
/// `kcode.max_bills` cards (refused ones included), fails at the last refusal (the business
/// system hears `payment.failed`), and sends no more; and one address may ask for only so
/// many bills a minute over all payments.
pub async fn kcode_cards_tried_are_capped_per_payment_and_address(world: &mut World) {
    let cards = [
        "6228480000000000011",
        "6228480000000000022",
        "6228480000000000033",
        "6228480000000000044",
    ];
    set_desk(world, json!({"refused_cards": cards})).await;
    let payment = world.create("KC-CARDS-1", 1_500).await;
    for card in &cards[..2] {
        let refused = cashier_bill(world, &payment.id, card).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("请换一张卡"));
    }
    let result_page = format!("/pay/{}/result", payment.id);
    let last = cashier_bill(world, &payment.id, cards[2]).await;
    assert_eq!(last.status(), 303, "the third refusal fails the payment");
    assert_eq!(last.headers()["location"].to_str().unwrap(), result_page);
    let more = cashier_bill(world, &payment.id, cards[3]).await;
    assert_eq!(more.status(), 303);
    let failed = world.client.get_payment(&payment.id, false).await.unwrap();
    assert_eq!(failed.status, "failed");
    let events = world.wait_for_events(&payment.id, 1).await;
    assert_eq!(events[0].event_type, "payment.failed");
    let store = world.store().await;
    let record = store.kcode_record(&payment.id).await.unwrap().unwrap();
    store.close().await;
    assert_eq!(
        record.bill_count, 3,
        "the fourth card never reached the bank"
    );

    // Per address, over all payments.
    world
        .restart_with_settings("[kcode]\ncashier_bills_per_source_per_minute = 2\n")
        .await;
    let mut statuses = Vec::new();
    for n in 0..3 {
        let other = world.create(&format!("KC-CARDS-{}", n + 2), 100).await;
        statuses.push(cashier_bill(world, &other.id, CARD).await.status().as_u16());
    }
    assert_eq!(statuses, vec![200, 200, 429]);

    // Through the API: with one bill allowed, a create whose card the bank refuses has used
    // them all, and the payment fails.
    world
        .restart_with_settings("[kcode]\nmax_bills = 1\n")
        .await;
    let body = json!({"out_trade_no": "KC-CARDS-API", "amount": 100, "currency": "CNY",
        "subject": "s", "method": "kcode", "card_no": cards[0], "mobile_no": MOBILE});
    let answer = post(world, "/v1/payments", &body).await;
    assert_error(&answer, 409, "kcode_bill_limit");
    let payment_id = answer.json()["error"]["payment_id"]
        .as_str()
        .unwrap()
        .to_string();
    let failed = world.client.get_payment(&payment_id, false).await.unwrap();
    assert_eq!(failed.status, "failed");
}

/// The cashier's card form, posted.
async fn cashier_bill(world: &World, payment_id: &str, card: &str) -> reqwest::Response {
    world
        .http
        .post(format!("{}/pay/{payment_id}/kcode", world.server_url))
        .form(&[("card_no", card), ("mobile_no", MOBILE)])
        .send()
        .await
        .unwrap()
}
