//! K-code payment at the simulated bank: the bill texts a code (read from `/sim/sms`), a
//! wrong code is counted, the last one allowed fails the order, a resend voids the old code,
//! codes expire, and the right code pays the order; nobody is notified (a bill gives no URL):
//! the answer and Query tell the result.

use crate::common::*;
use serde_json::{Value, json};

/// The consumer's mobile, as a K-code bill names it: its last four digits.
const MOBILE: &str = "5678";

/// A bill of 12.34. (A K-code payment notifies nobody: `_notify_url` is what the tests gave
/// before the bill lost its NotifyType and ResultNotifyURL.)
fn bill(order_no: &str, card: &str, _notify_url: &str) -> String {
    crate::sdk::kpay_verify(order_no, "12.34", card, MOBILE).message()
}

fn pay(order_no: &str, code: &str) -> String {
    crate::sdk::kpay(order_no, "12.34", code, "张三").message()
}

fn resend(order_no: &str) -> String {
    crate::sdk::kpay_resend(order_no, "12.34").message()
}

async fn texts(sim: &Sim) -> Vec<Value> {
    let response = sim
        .http
        .get(sim.url(&format!("/sim/sms?mobile={MOBILE}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json::<Vec<Value>>().await.unwrap()
}

async fn latest_code(sim: &Sim) -> String {
    texts(sim).await[0]["code"].as_str().unwrap().to_string()
}

fn wrong(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

#[tokio::test]
async fn the_texted_code_pays_the_order_and_the_answer_tells_it() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let billed = sim
        .transact(&bill("K1", "6228480012345678901", &receiver.url))
        .await;
    assert_eq!(billed.code(), "0000");
    assert_eq!(billed.field("OrderNo"), "K1");
    assert_eq!(billed.field("OrderAmount"), "12.34");
    assert_eq!(billed.field("VerifyDate").len(), 10);
    assert_eq!(billed.field("VerifyTime").len(), 8);
    let page_url = billed.field("PaymentURL").to_string();
    assert!(
        page_url.starts_with(&sim.url("/ebus/KPayAct.ebf?TOKEN=")),
        "{page_url}"
    );
    let page = sim.http.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("K1"));
    let sent = texts(&sim).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["order_no"], "K1");
    let code = latest_code(&sim).await;
    assert_eq!(code.len(), 6);

    let refused = sim.transact(&pay("K1", wrong(&code))).await;
    assert_eq!(refused.code(), "2350");
    assert!(refused.field("ErrorMessage").contains("剩余2次"));

    let paid = sim.transact(&pay("K1", &code)).await;
    assert_eq!(paid.code(), "0000");
    assert_eq!(paid.field("OrderAmount"), "12.34");
    assert_eq!(paid.field("HostDate").len(), 10);
    assert_eq!(paid.field("HostTime").len(), 8);
    let serial = paid.field("iRspRef").to_string();
    assert!(!serial.is_empty());
    assert_eq!(sim.query("K1").await.order_detail().status, "04");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        receiver.count(),
        0,
        "nobody is notified of a K-code payment"
    );

    // The paying request sent again gets the same answer; nothing is paid twice.
    let again = sim.transact(&pay("K1", &code)).await;
    assert_eq!(
        (again.code(), again.field("iRspRef")),
        ("0000", serial.as_str())
    );
    assert_eq!(sim.transact(&resend("K1")).await.code(), "2302");
}

#[tokio::test]
async fn the_last_wrong_code_fails_the_order() {
    let sim = start_sim(vec![0]).await;
    assert_eq!(
        sim.transact(&bill("K2", "6228480012345678901", "http://127.0.0.1:9/n"))
            .await
            .code(),
        "0000"
    );
    let code = latest_code(&sim).await;
    for expected in ["2350", "2350", "2352"] {
        assert_eq!(
            sim.transact(&pay("K2", wrong(&code))).await.code(),
            expected
        );
    }
    assert_eq!(sim.order("K2").await["status"], "99");
    assert_eq!(sim.transact(&pay("K2", &code)).await.code(), "2302");
    assert_eq!(sim.transact(&resend("K2")).await.code(), "2352");
}

#[tokio::test]
async fn a_resend_voids_the_old_code_codes_expire_and_are_limited() {
    let sim = start_sim(vec![0]).await;
    // Codes live their default five minutes while the test uses them, however slow the
    // machine; their life is cut short only when the test wants them expired.
    let (status, _) = sim.sim_post("/sim/kcode", json!({"max_codes": 2})).await;
    assert_eq!(status, 200);
    assert_eq!(
        sim.transact(&bill("K3", "6228480012345678901", "http://127.0.0.1:9/n"))
            .await
            .code(),
        "0000"
    );
    let first = latest_code(&sim).await;
    assert_eq!(sim.transact(&resend("K3")).await.code(), "0000");
    let second = latest_code(&sim).await;
    assert_eq!(texts(&sim).await.len(), 2);
    if first != second {
        assert_eq!(sim.transact(&pay("K3", &first)).await.code(), "2350");
    }
    assert_eq!(sim.transact(&resend("K3")).await.code(), "2353");
    // The desk judges a code by the life it has now: a millisecond, long gone once the clock
    // has passed the moment the code was texted.
    let (status, _) = sim
        .sim_post("/sim/kcode", json!({"code_ttl_ms": 1, "max_codes": 2}))
        .await;
    assert_eq!(status, 200);
    let sent_at = texts(&sim).await[0]["sent_at_ms"].as_i64().unwrap();
    while chrono::Utc::now().timestamp_millis() <= sent_at + 1 {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    assert_eq!(sim.transact(&pay("K3", &second)).await.code(), "2351");
    assert_eq!(sim.order("K3").await["status"], "01");
}

#[tokio::test]
async fn bad_bills_are_refused_by_field() {
    let sim = start_sim(vec![0]).await;
    let short_card = sim
        .transact(&bill("K4", "62284", "http://127.0.0.1:9/n"))
        .await;
    assert_eq!(short_card.code(), "2101");
    assert!(short_card.field("ErrorMessage").contains("CardNo"));
    assert_eq!(sim.transact(&resend("K4")).await.code(), "2308");
    assert_eq!(sim.transact(&pay("K5", "123456")).await.code(), "2308");
    let (status, body) = sim
        .sim_post("/sim/kcode", json!({"max_wrong_codes": 0}))
        .await;
    assert_eq!(status, 400, "{body}");
}

/// Proves a card in `refused_cards` gets its bill refused (`2355`, nothing registered or
/// texted), and a holder in `mismatched_holders` is declined (`2356`) without a wrong code
/// counted, the order staying unpaid and payable by the right holder.
#[tokio::test]
async fn refused_cards_and_mismatched_holders() {
    let sim = start_sim(vec![0]).await;
    let (status, _) = sim
        .sim_post(
            "/sim/kcode",
            json!({"refused_cards": ["6228480000000000001"], "mismatched_holders": ["李四"]}),
        )
        .await;
    assert_eq!(status, 200);
    let refused = sim
        .transact(&bill("K6", "6228480000000000001", "http://127.0.0.1:9/n"))
        .await;
    assert_eq!(refused.code(), "2355");
    assert!(texts(&sim).await.is_empty(), "nothing texted");
    assert_eq!(sim.query("K6").await.code(), "2308", "nothing registered");

    assert_eq!(
        sim.transact(&bill("K7", "6228480012345678901", "http://127.0.0.1:9/n"))
            .await
            .code(),
        "0000"
    );
    let code = latest_code(&sim).await;
    let declined = crate::sdk::kpay("K7", "12.34", &code, "李四").message();
    assert_eq!(sim.transact(&declined).await.code(), "2356");
    assert_eq!(sim.order("K7").await["status"], "01");
    assert_eq!(sim.transact(&pay("K7", &code)).await.code(), "0000");
}

/// Proves the bill's mobile check is by its last four digits: the registry's mobile for the
/// card must end with them; the MobileNo must be four digits; the consumer's page pays the bill
/// with the code.
#[tokio::test]
async fn the_mobile_is_checked_by_its_last_four_digits_and_the_page_pays() {
    let sim = start_sim(vec![0]).await;
    let (status, _) = sim
        .sim_post(
            "/sim/identities",
            json!({"card_no": "6228480012345678901", "name": "张三",
                   "certificate_type": "I", "certificate_no": "110101199003071234",
                   "mobile": "13912345678"}),
        )
        .await;
    assert_eq!(status, 200);
    let other = crate::sdk::kpay_verify("K8", "12.34", "6228480012345678901", "1234").message();
    assert_eq!(sim.transact(&other).await.code(), "2357");
    let eleven =
        crate::sdk::kpay_verify("K8", "12.34", "6228480012345678901", "13912345678").message();
    let refused = sim.transact(&eleven).await;
    assert_eq!(refused.code(), "2101");
    assert!(refused.field("ErrorMessage").contains("MobileNo"));
    let billed = sim.transact(&bill("K8", "6228480012345678901", "")).await;
    assert_eq!(billed.code(), "0000");
    let token = billed
        .field("PaymentURL")
        .split("TOKEN=")
        .nth(1)
        .unwrap()
        .to_string();
    let code = latest_code(&sim).await;
    // The texts are also found by the consumer's whole mobile number.
    let whole: Vec<Value> = sim
        .http
        .get(sim.url("/sim/sms?mobile=13912345678"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(whole[0]["code"], code.as_str());
    let page = sim
        .http
        .post(sim.url("/sim/kcode/consumer"))
        .form(&[("TOKEN", token.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(sim.query("K8").await.order_detail().status, "04");
}
