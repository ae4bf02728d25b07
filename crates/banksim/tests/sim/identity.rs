//! Identity verification as ABC's client speaks it: IdentityVerifyReq without an OrderNo, its
//! result posted to the exact ResultNotifyURL (the platform puts its own verification number
//! in it) as `IdentityVerifyResult` with AccountName, BankCardNo and CertificateNo; and
//! StaticIdentifyVerifyReq, whose verdict is the ReturnCode.

use crate::common::*;
use crate::sdk;
use crate::wire::field;
use serde_json::json;

const CARD: &str = "6228480012345678901";
const ID: &str = "110101199003071234";

async fn register_person(sim: &Sim) {
    let (status, _) = sim
        .sim_post(
            "/sim/identities",
            json!({"card_no": CARD, "name": "张三", "certificate_type": "I",
                   "certificate_no": ID, "mobile": "13800138000"}),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_result_goes_to_the_exact_url_with_the_contracts_names() {
    let sim = start_sim(vec![0]).await;
    register_person(&sim).await;
    let receiver = start_receiver(0).await;
    let url = format!("{}?verification=IV000123", receiver.url);
    let answer = sim
        .transact(&sdk::identity_verify(CARD, ID, &url).message())
        .await;
    assert_eq!(answer.code(), "0000", "{}", answer.signed.message);
    let verify_url = answer.field("VerifyURL").to_string();
    let token = verify_url.split("TOKEN=").nth(1).unwrap();
    assert_eq!(
        sim.http.get(&verify_url).send().await.unwrap().status(),
        200
    );
    let decided = sim
        .http
        .post(sim.url("/sim/identity/consumer"))
        .form(&[("TOKEN", token), ("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status(), 200);
    receiver.wait_for(1).await;
    assert_eq!(
        receiver.queries.lock().unwrap()[0].as_deref(),
        Some("verification=IV000123")
    );
    let xml = receiver.message(0, &sim.certificate);
    for (name, value) in [
        ("TrxType", "IdentityVerifyResult"),
        ("ReturnCode", "0000"),
        ("AccountName", "张三"),
        ("BankCardNo", CARD),
        ("CertificateNo", ID),
        ("MerchantID", MERCHANT_ID),
    ] {
        assert_eq!(field(&xml, name), Some(value), "{name}: {xml}");
    }
    assert!(field(&xml, "OrderNo").is_none(), "no OrderNo: {xml}");
}

#[tokio::test]
async fn a_static_verification_answers_its_verdict_as_the_return_code() {
    let sim = start_sim(vec![0]).await;
    register_person(&sim).await;
    let matching = sdk::static_identify(CARD, "张三", ID, "13800138000").message();
    assert_eq!(sim.transact(&matching).await.code(), "0000");
    let other = sdk::static_identify(CARD, "李四", ID, "13800138000").message();
    assert_eq!(sim.transact(&other).await.code(), "2401");
    let short = sdk::static_identify(CARD, "张三", ID, "1380013800").message();
    assert_eq!(
        sim.transact(&short).await.field("ErrorMessage"),
        "字段错误(MobileNo)"
    );
    // `I` is 15 or 18 characters.
    let bad_id = sdk::static_identify(CARD, "张三", "1101011990030712", "13800138000").message();
    assert_eq!(
        sim.transact(&bad_id).await.field("ErrorMessage"),
        "字段错误(CertificateNo)"
    );
}
