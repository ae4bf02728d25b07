//! The error catalogue's codes that no other scenario produces, each from a real request:
//! refusals of the request itself (unknown or disabled app, a route without the method, a body
//! too large, a bad Idempotency-Key, a merchant without a channel account, unknown batches and
//! verifications, duplicate numbers, bad identity input, a debit batch with a bad line); the
//! K-code refusals; failures at the bank and inside unipay; and the two codes a running server
//! cannot answer (it refuses to start without a privacy key, and its ABC channel always offers
//! K-code), produced by the same router in process. `error_catalogue.rs` fails when a code of
//! the catalogue has no assertion in these sources.

use crate::harness::{World, admin};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use unipay_client::{Client, RawResponse};
use unipay_core::channel::{
    BankNotification, BatchAccepted, BatchRef, BatchRefundRequest, BatchRefundResult, BoxFuture,
    Channel, ChannelError, NotificationError, PaymentRedirect, PaymentRequest, PreAuthAnswer,
    PreAuthRequest, QueryAnswer, RefundAnswer, RefundRequest, StatementFile,
};
use unipay_core::identity_channel::IdentityChannel;
use unipay_core::mandate_channel::MandateChannel;
use unipay_core::statement::{StatementError, StatementSink, StatementSummary};

const GOOD_PAYMENT: &str =
    r#"{"out_trade_no":"ERR-1","amount":100,"currency":"CNY","subject":"s"}"#;
const CARD: &str = "6228480012345678901";
const REFUSED_CARD: &str = "6228480000000000001";
const MOBILE: &str = "13912345678";
/// A holder whose details the simulated bank finds do not match the card.
const WRONG_HOLDER: &str = "王五";

fn assert_code(answer: &RawResponse, status: u16, code: &str) {
    assert_eq!(
        (answer.status, answer.error_code().as_deref()),
        (status, Some(code)),
        "{}",
        answer.body
    );
    assert!(
        answer.json()["error"]["message"].is_string(),
        "{}",
        answer.body
    );
}

async fn send(client: &Client, method: &str, path: &str, body: &str) -> RawResponse {
    client
        .send(method, path, body.as_bytes(), &[])
        .await
        .expect("unipay answers")
}

/// A new app of `merchant_id`: its client.
async fn new_app(world: &World, merchant_id: &str, name: &str) -> (String, Client) {
    let app = admin(&[
        "create-app",
        "--database-url",
        &world.db_url(),
        "--merchant",
        merchant_id,
        "--name",
        name,
        "--json",
    ])
    .await;
    let app_id = app["app_id"].as_str().unwrap().to_string();
    let client = Client::new(&world.server_url, &app_id, app["secret"].as_str().unwrap()).unwrap();
    (app_id, client)
}

fn identity_request(out_verify_no: &str) -> Value {
    json!({
        "out_verify_no": out_verify_no,
        "mode": "direct",
        "customer_type": "person",
        "name": "欧阳明月",
        "certificate_type": "I",
        "certificate_no": "440304198506123711",
        "card_no": "6228480418273645192",
        "mobile": "13912873465",
    })
}

/// Proves each refusal of a request itself answers its own code: an unknown app, a disabled
/// app, a route without the method (with `Allow`), a body over the limit, a malformed
/// Idempotency-Key, a merchant with no channel account, unknown refund batches, debit batches
/// and identity verifications, duplicate batch and mandate numbers, bad identity input and a
/// debit batch whose line names no mandate; and that none of them created anything.
pub async fn request_refusals_have_their_codes(world: &mut World) {
    let nobody = Client::new(&world.server_url, "app_nobody", &world.secret).unwrap();
    assert_code(
        &send(&nobody, "GET", "/v1/payments/pay_x", "").await,
        401,
        "unknown_app",
    );

    let (disabled_id, disabled) = new_app(world, &world.merchant_id, "disabled").await;
    let store = world.store().await;
    let now = chrono::Utc::now().timestamp_millis();
    let entry = unipay_store::audit::AuditEntry {
        actor: "e2e",
        action: "app.disable",
        target: &disabled_id,
        detail: "",
        from_address: "test",
        outcome: "ok",
        now_ms: now,
    };
    assert!(
        store
            .set_app_status(&disabled_id, "disabled", &entry)
            .await
            .unwrap()
    );
    assert_code(
        &send(&disabled, "POST", "/v1/payments", GOOD_PAYMENT).await,
        403,
        "app_disabled",
    );

    let signed = send(&world.client, "DELETE", "/v1/payments/pay_x", "").await;
    assert_code(&signed, 405, "method_not_allowed");
    let unsigned = world
        .http
        .put(format!("{}/v1/payments", world.server_url))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 405);
    let allow = unsigned.headers()["allow"].to_str().unwrap().to_string();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    let body: Value = unsigned.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");

    let huge = format!(
        r#"{{"out_trade_no":"ERR-2","amount":100,"currency":"CNY","subject":"{}"}}"#,
        "x".repeat(70_000)
    );
    assert_code(
        &send(&world.client, "POST", "/v1/payments", &huge).await,
        413,
        "body_too_large",
    );

    for key in ["has space".to_string(), "k".repeat(129)] {
        let answer = world
            .client
            .send(
                "POST",
                "/v1/payments",
                GOOD_PAYMENT.as_bytes(),
                &[("idempotency-key", key)],
            )
            .await
            .unwrap();
        assert_code(&answer, 400, "invalid_idempotency_key");
    }

    let merchant = admin(&[
        "create-merchant",
        "--database-url",
        &world.db_url(),
        "--name",
        "No account yet",
        "--json",
    ])
    .await;
    let (_, unconnected) = new_app(world, merchant["merchant_id"].as_str().unwrap(), "early").await;
    assert_code(
        &send(&unconnected, "POST", "/v1/payments", GOOD_PAYMENT).await,
        409,
        "no_channel_account",
    );

    assert_code(
        &send(&world.client, "GET", "/v1/refund-batches/rfb_nope", "").await,
        404,
        "refund_batch_not_found",
    );
    assert_code(
        &send(&world.client, "GET", "/v1/debit-batches/dbb_nope", "").await,
        404,
        "debit_batch_not_found",
    );
    assert_code(
        &send(
            &world.client,
            "GET",
            "/v1/identity-verifications/idv_nope",
            "",
        )
        .await,
        404,
        "identity_verification_not_found",
    );
    assert!(
        world.client.find_payment("ERR-1").await.is_err(),
        "no refused create made a payment"
    );

    let mut bad_mode = identity_request("V-ERR-1");
    bad_mode["mode"] = json!("sms");
    let mut bad_certificate = identity_request("V-ERR-2");
    // The right number with its check character changed.
    bad_certificate["certificate_no"] = json!("440304198506123712");
    let mut bad_mobile = identity_request("V-ERR-3");
    bad_mobile["mobile"] = json!("1391287346");
    let verify = async |body: Value| {
        send(
            &world.client,
            "POST",
            "/v1/identity-verifications",
            &body.to_string(),
        )
        .await
    };
    assert_code(&verify(bad_mode).await, 400, "invalid_verify_mode");
    assert_code(&verify(bad_certificate).await, 400, "invalid_certificate");
    assert_code(&verify(bad_mobile).await, 400, "invalid_mobile");

    let bad_line = json!({"out_batch_no": "DB-ERR", "lines": [
        {"mandate_id": "mdt_nope", "out_trade_no": "DBL-1", "amount": 100, "subject": "s"},
    ]});
    let refused = send(
        &world.client,
        "POST",
        "/v1/debit-batches",
        &bad_line.to_string(),
    )
    .await;
    assert_code(&refused, 422, "debit_batch_lines_invalid");
    assert_eq!(
        refused.json()["error"]["lines"][0]["code"],
        "mandate_not_found",
        "{}",
        refused.body
    );
    assert!(world.client.find_payment("DBL-1").await.is_err());

    let mandate = crate::mandates::create_mandate(world, "M-ERR-1", None).await;
    let again = json!({
        "out_mandate_no": "M-ERR-1",
        "customer_ref": "student-2",
        "card_type": "1",
        "certificate_type": "I",
        "certificate_no": crate::mandates::CERTIFICATE_NO,
        "expires_on": "2099-12-31",
    });
    let duplicate = send(&world.client, "POST", "/v1/mandates", &again.to_string()).await;
    assert_code(&duplicate, 409, "duplicate_out_mandate_no");
    assert_eq!(duplicate.json()["error"]["mandate_id"], mandate["id"]);

    let paid = world.pay("ERR-PAID", 1_000, "server").await;
    world
        .wait_for_payment(&paid.id, |p| p.status == "succeeded")
        .await;
    let batch = |refund_no: &str| {
        json!({"out_batch_no": "B-ERR", "lines": [
            {"payment_id": paid.id, "out_refund_no": refund_no, "amount": 100},
        ]})
    };
    let first = world
        .client
        .create_refund_batch(&batch("BL-ERR-1"))
        .await
        .unwrap();
    assert_eq!(first.status, 201, "{}", first.body);
    let second = world
        .client
        .create_refund_batch(&batch("BL-ERR-2"))
        .await
        .unwrap();
    assert_code(&second, 409, "duplicate_out_batch_no");
    assert_eq!(second.json()["error"]["batch_id"], first.json()["id"]);
    store.close().await;
}

/// Proves the K-code refusals answer their codes: confirming a payment that is not K-code, a
/// bill for a card the bank refuses (the payment named, and left pending), a holder whose
/// details the bank declines (nothing counted: the right holder pays afterwards), and a resend
/// for a paid payment; the paid one is notified once.
pub async fn kcode_refusals_have_their_codes(world: &mut World) {
    let set = world
        .http
        .post(format!("{}/sim/kcode", world.bank_url))
        .json(&json!({"refused_cards": [REFUSED_CARD], "mismatched_holders": [WRONG_HOLDER]}))
        .send()
        .await
        .unwrap();
    assert!(set.status().is_success());
    let confirm_body = |name: &str, code: &str| {
        json!({
            "verify_code": code,
            "account_name": name,
            "certificate_type": "I",
            "certificate_no": "110101199003071234",
        })
        .to_string()
    };

    let cashier = world.create("KE-CASHIER", 100).await;
    assert_code(
        &send(
            &world.client,
            "POST",
            &format!("/v1/payments/{}/kcode/confirm", cashier.id),
            &confirm_body("张三", "123456"),
        )
        .await,
        409,
        "payment_not_kcode",
    );

    let kcode = |out_trade_no: &str, card: &str| {
        json!({"out_trade_no": out_trade_no, "amount": 300, "currency": "CNY", "subject": "s",
               "method": "kcode", "card_no": card, "mobile_no": MOBILE})
        .to_string()
    };
    let refused = send(
        &world.client,
        "POST",
        "/v1/payments",
        &kcode("KE-REFUSED", REFUSED_CARD),
    )
    .await;
    assert_code(&refused, 402, "kcode_bill_refused");
    let refused_id = refused.json()["error"]["payment_id"]
        .as_str()
        .expect("the refusal names the payment")
        .to_string();
    let left = world.client.get_payment(&refused_id, false).await.unwrap();
    assert_eq!(left.status, "pending", "it stays pending until it expires");

    let billed = send(
        &world.client,
        "POST",
        "/v1/payments",
        &kcode("KE-HOLDER", CARD),
    )
    .await;
    assert_eq!(billed.status, 201, "{}", billed.body);
    let payment = billed.json();
    let id = payment["id"].as_str().unwrap().to_string();
    let order_no = payment["channel_order_no"].as_str().unwrap().to_string();
    let texts: Value = world
        .http
        .get(format!("{}/sim/sms?mobile={MOBILE}", world.bank_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = texts
        .as_array()
        .unwrap()
        .iter()
        .find(|text| text["order_no"] == order_no.as_str())
        .and_then(|text| text["code"].as_str())
        .expect("a code was texted")
        .to_string();
    let confirm_path = format!("/v1/payments/{id}/kcode/confirm");
    let declined = send(
        &world.client,
        "POST",
        &confirm_path,
        &confirm_body(WRONG_HOLDER, &code),
    )
    .await;
    assert_code(&declined, 422, "kcode_refused");
    assert!(declined.body.contains("2356"), "{}", declined.body);
    let still = world.client.get_payment(&id, false).await.unwrap();
    assert_eq!(still.status, "pending");

    let paid = send(
        &world.client,
        "POST",
        &confirm_path,
        &confirm_body("张三", &code),
    )
    .await;
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json()["kcode"]["wrong_attempts"], 0, "nothing counted");
    assert_code(
        &send(
            &world.client,
            "POST",
            &format!("/v1/payments/{id}/kcode/resend"),
            "{}",
        )
        .await,
        409,
        "kcode_not_awaiting_code",
    );
    world
        .assert_notified_once(&id, &["payment.succeeded"])
        .await;
    assert!(world.receiver.events_for(&refused_id).is_empty());
}

/// Proves the failures answer their codes and change nothing: the bank unreachable for the
/// transaction flow (`bank_unavailable`), a store failure inside unipay (`internal_error`, the
/// details only in the log under the request's id), and a create whose Idempotency-Key is held
/// by a request still in flight (`idempotency_key_in_flight`).
pub async fn failures_have_their_codes(world: &mut World) {
    // Every call to the bank is cut unanswered.
    world
        .set_faults(json!({"call_timeout_pct": 100, "call_timeout_ms": 50}))
        .await;
    let today = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    let unreachable = send(
        &world.client,
        "GET",
        &format!("/v1/channel-transactions?date={today}"),
        "",
    )
    .await;
    assert_code(&unreachable, 502, "bank_unavailable");
    world.set_faults(json!({})).await;

    // A table the route needs is gone: the store fails, the client learns nothing more.
    let store = world.store().await;
    store
        .execute_for_test(
            "ALTER TABLE identity_verifications RENAME TO identity_verifications_away",
        )
        .await
        .unwrap();
    let request_id = "e2e-internal-error-0001";
    let failed = world
        .client
        .send(
            "GET",
            "/v1/identity-verifications/idv_any",
            b"",
            &[("x-request-id", request_id.to_string())],
        )
        .await
        .unwrap();
    store
        .execute_for_test(
            "ALTER TABLE identity_verifications_away RENAME TO identity_verifications",
        )
        .await
        .unwrap();
    assert_code(&failed, 500, "internal_error");
    assert_eq!(failed.json()["error"]["message"], "internal error");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read_to_string(world.log_path()).unwrap();
        let logged = log.lines().any(|line| {
            let line: Value = serde_json::from_str(line).unwrap_or(Value::Null);
            line["level"] == "ERROR" && line["span"]["request_id"] == request_id
        });
        if logged {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the log has the error under the request's id"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_code(
        &send(
            &world.client,
            "GET",
            "/v1/identity-verifications/idv_any",
            "",
        )
        .await,
        404,
        "identity_verification_not_found",
    );

    // A key whose first request has not finished: its row holds no answer yet.
    let body = r#"{"out_trade_no":"INFLIGHT-1","amount":100,"currency":"CNY","subject":"s"}"#;
    // Its fingerprint as the server computes it: keyed with the privacy key.
    let fingerprint = unipay_core::pii::PiiKey::from_hex(crate::harness::PRIVACY_KEY_HEX)
        .expect("the test's privacy key")
        .digest(&[b"POST", b"/v1/payments", body.as_bytes()]);
    let now = chrono::Utc::now().timestamp_millis();
    store
        .execute_for_test(&format!(
            "INSERT INTO idempotency_keys (app_id, key, request_hash, created_at) \
             VALUES ('{}', 'in-flight-key-1', '{}', {now})",
            world.app_id, fingerprint
        ))
        .await
        .unwrap();
    let in_flight = world
        .client
        .send(
            "POST",
            "/v1/payments",
            body.as_bytes(),
            &[("idempotency-key", "in-flight-key-1".to_string())],
        )
        .await
        .unwrap();
    assert_code(&in_flight, 409, "idempotency_key_in_flight");
    assert!(world.client.find_payment("INFLIGHT-1").await.is_err());
    store.close().await;
}

/// The ABC channel of the world's account with its K-code capability taken away.
struct WithoutKcode(Arc<dyn Channel>);

impl Channel for WithoutKcode {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn payment_types(&self) -> Vec<(String, String)> {
        self.0.payment_types()
    }
    fn request_payment<'a>(
        &'a self,
        request: &'a PaymentRequest,
    ) -> BoxFuture<'a, Result<PaymentRedirect, ChannelError>> {
        self.0.request_payment(request)
    }
    fn query_payment<'a>(
        &'a self,
        order_no: &'a str,
        requested_at_ms: i64,
        pay_by_ms: i64,
    ) -> BoxFuture<'a, Result<QueryAnswer, ChannelError>> {
        self.0.query_payment(order_no, requested_at_ms, pay_by_ms)
    }
    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        self.0.refund(request)
    }
    fn query_refund<'a>(
        &'a self,
        refund_no: &'a str,
        requested_at_ms: i64,
    ) -> BoxFuture<'a, Result<RefundAnswer, ChannelError>> {
        self.0.query_refund(refund_no, requested_at_ms)
    }
    fn batch_refund<'a>(
        &'a self,
        request: &'a BatchRefundRequest,
    ) -> BoxFuture<'a, Result<BatchAccepted, ChannelError>> {
        self.0.batch_refund(request)
    }
    fn query_batch_refund<'a>(
        &'a self,
        batch: &'a BatchRef,
    ) -> BoxFuture<'a, Result<BatchRefundResult, ChannelError>> {
        self.0.query_batch_refund(batch)
    }
    fn capture_limit_percent(&self) -> i64 {
        self.0.capture_limit_percent()
    }
    fn capture_window_days(&self) -> Option<u32> {
        self.0.capture_window_days()
    }
    fn preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<PreAuthAnswer, ChannelError>> {
        self.0.preauth(request)
    }
    fn query_preauth<'a>(
        &'a self,
        request: &'a PreAuthRequest,
    ) -> BoxFuture<'a, Result<Option<PreAuthAnswer>, ChannelError>> {
        self.0.query_preauth(request)
    }
    fn read_notification(&self, body: &[u8]) -> Result<BankNotification, NotificationError> {
        self.0.read_notification(body)
    }
    fn notification_answer(&self, customer_url: &str) -> (&'static str, Vec<u8>) {
        self.0.notification_answer(customer_url)
    }
    fn fetch_statement<'a>(
        &'a self,
        accounting_date: &'a str,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        self.0.fetch_statement(accounting_date)
    }
    fn query_transactions<'a>(
        &'a self,
        date: &'a str,
        start_hour: u8,
        end_hour: u8,
    ) -> BoxFuture<'a, Result<StatementFile, ChannelError>> {
        self.0.query_transactions(date, start_hour, end_hour)
    }
    fn parse_statement(
        &self,
        file: &mut dyn std::io::Read,
        gzip: bool,
        sink: &mut dyn StatementSink,
    ) -> Result<StatementSummary, StatementError> {
        self.0.parse_statement(file, gzip, sink)
    }
    fn mandates(&self) -> Option<&dyn MandateChannel> {
        self.0.mandates()
    }
    fn identity(&self) -> Option<&dyn IdentityChannel> {
        self.0.identity()
    }
}

/// Proves the codes a running `unipay serve` cannot answer are still what the router answers:
/// `personal_data_key_missing` from a server state without a privacy key (`serve` refuses to
/// start without one), and `kcode_not_offered` from a channel that does not offer K-code (the
/// ABC channel always does). The router runs in this process, on the world's database.
pub async fn codes_a_running_server_cannot_answer(world: &mut World) {
    let path = world.dir().join("unipay.toml");
    let mut config = unipay_server::ServerConfig::load(Some(path.as_path())).unwrap();
    config.database_url = world.db_url();
    config.privacy = unipay_server::config::PrivacyConfig::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    config.public_url = format!("http://{address}");
    let store = world.store().await;
    let account = store
        .get_channel_account(&world.channel_account_id)
        .await
        .unwrap()
        .expect("the world's channel account");
    let abc = unipay_server::channels::build_channel(&account).unwrap();
    let state =
        unipay_server::AppState::new(store, config, Arc::new(unipay_core::SystemClock)).unwrap();
    state
        .channels
        .insert(&world.channel_account_id, Arc::new(WithoutKcode(abc)));
    let app = unipay_server::router(state.clone());
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let client = Client::new(&format!("http://{address}"), &world.app_id, &world.secret).unwrap();

    let no_key = send(
        &client,
        "POST",
        "/v1/identity-verifications",
        &identity_request("V-NOKEY").to_string(),
    )
    .await;
    assert_code(&no_key, 503, "personal_data_key_missing");

    let kcode = json!({"out_trade_no": "KE-NOT-OFFERED", "amount": 300, "currency": "CNY",
        "subject": "s", "method": "kcode", "card_no": CARD, "mobile_no": MOBILE});
    let not_offered = send(&client, "POST", "/v1/payments", &kcode.to_string()).await;
    assert_code(&not_offered, 409, "kcode_not_offered");
    let left = world.client.find_payment("KE-NOT-OFFERED").await.unwrap();
    assert_eq!(left.status, "created", "no bill was sent");
    server.abort();
    state.store.close().await;
}
