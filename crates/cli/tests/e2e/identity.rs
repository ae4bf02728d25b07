//! Identity verification end to end: redirect mode (the customer confirms on the bank's page,
//! the signed result comes back as a message) and direct mode (the answer is the verdict), each
//! matched and not matched against the simulator's registry of known persons; and the proof
//! that none of the personal data sent through the API is kept or logged in plain text.

use crate::harness::World;
use serde_json::{Value, json};
use std::time::Duration;

/// A person the bank knows. The numbers are valid (the ID's check character is right) and
/// unusual enough that finding one in a dump cannot be a coincidence.
struct Person {
    name: &'static str,
    certificate_no: &'static str,
    card_no: &'static str,
    mobile: &'static str,
}

const OUYANG: Person = Person {
    name: "欧阳明月",
    certificate_no: "440304198506123711",
    card_no: "6228480418273645192",
    mobile: "13912873465",
};

const SIMA: Person = Person {
    name: "司马长风",
    certificate_no: "310115197708234561",
    card_no: "6217000093847261550",
    mobile: "13687452391",
};

/// A valid ID number that no known person holds.
const STRANGER_ID: &str = "110108199201010014";

async fn bank_knows(world: &World, person: &Person) {
    let response = world
        .http
        .post(format!("{}/sim/identities", world.bank_url))
        .json(&json!({
            "card_no": person.card_no,
            "name": person.name,
            "certificate_type": "I",
            "certificate_no": person.certificate_no,
            "mobile": person.mobile,
        }))
        .send()
        .await
        .expect("sim answers");
    assert!(response.status().is_success(), "registers the person");
}

fn ask(out_verify_no: &str, mode: &str, person: &Person) -> Value {
    json!({
        "out_verify_no": out_verify_no,
        "mode": mode,
        "customer_type": "person",
        "name": person.name,
        "certificate_type": "I",
        "certificate_no": person.certificate_no,
        "card_no": person.card_no,
        "mobile": person.mobile,
        "return_url": "https://shop.example/identity/done",
    })
}

async fn post(world: &World, body: &Value, key: Option<&str>) -> (u16, Value) {
    let headers: Vec<(&str, String)> = key
        .map(|k| vec![("idempotency-key", k.to_string())])
        .unwrap_or_default();
    let response = world
        .client
        .send(
            "POST",
            "/v1/identity-verifications",
            body.to_string().as_bytes(),
            &headers,
        )
        .await
        .expect("unipay answers");
    (response.status, response.json())
}

async fn get(world: &World, id: &str) -> Value {
    let response = world
        .client
        .send("GET", &format!("/v1/identity-verifications/{id}"), b"", &[])
        .await
        .expect("unipay answers");
    assert_eq!(response.status, 200, "{}", response.body);
    response.json()
}

async fn wait_final(world: &World, id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let verification = get(world, id).await;
        if verification["status"] != "pending" || tokio::time::Instant::now() > deadline {
            return verification;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The customer at the bank's page: opens it, then confirms (or cancels).
async fn customer_decides(world: &World, verify_url: &str, action: &str) {
    assert!(
        verify_url.starts_with(&world.bank_url),
        "the page is the bank's: {verify_url}"
    );
    let page = world
        .http
        .get(verify_url)
        .send()
        .await
        .expect("page answers");
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.expect("page text");
    assert!(html.contains("622848*********5192") || html.contains("621700*********1550"));
    let token = verify_url
        .split("TOKEN=")
        .nth(1)
        .expect("the URL holds a token");
    let decided = world
        .http
        .post(format!("{}/sim/identity/consumer", world.bank_url))
        .form(&[("TOKEN", token), ("action", action)])
        .send()
        .await
        .expect("sim answers");
    assert_eq!(decided.status().as_u16(), 200);
}

/// The business system's identity.verified notification for the verification.
/// The verification's `identity.verified`, heard exactly once once the world is quiet.
async fn notified(world: &World, id: &str) -> Value {
    let events = world.assert_notified_once(id, &["identity.verified"]).await;
    serde_json::from_str(&events[0].body).expect("event JSON")
}

async fn redirect(world: &World, out_verify_no: &str, body: Value, action: &str) -> Value {
    let (status, created) = post(world, &body, None).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "pending");
    assert_eq!(created["mode"], "redirect");
    assert_eq!(created["out_verify_no"], out_verify_no);
    let verify_url = created["verify_url"].as_str().expect("a verify_url");
    customer_decides(world, verify_url, action).await;
    let id = created["id"].as_str().expect("an id").to_string();
    let finished = wait_final(world, &id).await;
    let event = notified(world, &id).await;
    assert_eq!(event["data"]["status"], finished["status"]);
    finished
}

/// Redirect mode, the person the bank knows: pending with the bank's page, then matched by
/// the signed result message, and identity.verified once.
pub async fn identity_redirect_matched(world: &mut World) {
    bank_knows(world, &OUYANG).await;
    let finished = redirect(
        world,
        "R-MATCH",
        ask("R-MATCH", "redirect", &OUYANG),
        "confirm",
    )
    .await;
    assert_eq!(finished["status"], "matched", "{finished}");
    assert_eq!(finished["card_no_masked"], "622848*********5192");
    assert_eq!(finished["certificate_no_masked"], "440***********3711");
    assert_eq!(finished["name_masked"], "欧***");
    assert_eq!(finished["mobile_masked"], "139****3465");
    assert_eq!(finished["seen_before"], false);
}

/// Redirect mode with a document the card's holder does not have: not_matched with the
/// bank's code and reason; a customer who cancels on the page: failed.
pub async fn identity_redirect_not_matched(world: &mut World) {
    bank_knows(world, &OUYANG).await;
    let mut body = ask("R-MISMATCH", "redirect", &OUYANG);
    body["certificate_no"] = json!(STRANGER_ID);
    let finished = redirect(world, "R-MISMATCH", body, "confirm").await;
    assert_eq!(finished["status"], "not_matched", "{finished}");
    assert_eq!(finished["reason_code"], "2401");
    assert_eq!(finished["reason"], "身份信息不符");

    let cancelled = redirect(
        world,
        "R-CANCEL",
        ask("R-CANCEL", "redirect", &OUYANG),
        "refuse",
    )
    .await;
    assert_eq!(cancelled["status"], "failed", "{cancelled}");
    assert_eq!(cancelled["reason_code"], "2402");
}

/// Direct mode, the person the bank knows: matched in the answer itself; the same request
/// again under its Idempotency-Key answers the same and verifies nothing twice.
pub async fn identity_direct_matched(world: &mut World) {
    bank_knows(world, &SIMA).await;
    let body = ask("D-MATCH", "direct", &SIMA);
    let (status, answered) = post(world, &body, Some("idv-key-1")).await;
    assert_eq!(status, 201, "{answered}");
    assert_eq!(answered["status"], "matched", "{answered}");
    assert_eq!(answered["verify_url"], Value::Null);
    let id = answered["id"].as_str().expect("an id");
    let event = notified(world, id).await;
    assert_eq!(event["type"], "identity.verified");
    assert_eq!(event["data"]["status"], "matched");

    let (status, again) = post(world, &body, Some("idv-key-1")).await;
    assert_eq!(status, 201);
    assert_eq!(again["id"], answered["id"]);
    assert_eq!(again["status"], "matched");
    let (status, reused) = post(world, &ask("D-OTHER", "direct", &SIMA), Some("idv-key-1")).await;
    assert_eq!(status, 422);
    assert_eq!(reused["error"]["code"], "idempotency_key_reused");
    let (status, duplicate) = post(world, &body, None).await;
    assert_eq!(status, 409);
    assert_eq!(duplicate["error"]["code"], "duplicate_out_verify_no");
    assert_eq!(duplicate["error"]["verification_id"], answered["id"]);
}

/// Direct mode with a mobile number or a name the bank does not know for the card:
/// not_matched at once; the same person verified again is recognised (repeat_of) by the keyed
/// hash alone, the ID written with a lower-case check character or not.
pub async fn identity_direct_not_matched(world: &mut World) {
    bank_knows(world, &SIMA).await;
    let mut body = ask("D-MISMATCH", "direct", &SIMA);
    body["mobile"] = json!("13500000000");
    let (status, answered) = post(world, &body, None).await;
    assert_eq!(status, 201, "{answered}");
    assert_eq!(answered["status"], "not_matched", "{answered}");
    assert_eq!(answered["reason_code"], "2401");
    assert_eq!(answered["reason"], "身份信息不符");
    let event = notified(world, answered["id"].as_str().expect("id")).await;
    assert_eq!(event["data"]["status"], "not_matched");

    let mut renamed = ask("D-MISMATCH-NAME", "direct", &SIMA);
    renamed["name"] = json!("司马短风");
    let (_, answered_name) = post(world, &renamed, None).await;
    assert_eq!(answered_name["status"], "not_matched");
    assert_eq!(
        answered_name["repeat_of"], answered["id"],
        "the same document is recognised"
    );
    assert_eq!(answered_name["seen_before"], true);
}

/// After identity verifications (both modes, matched and not), bad requests and a forged
/// result message, all carrying known plain values: no table, no file of the database and no
/// log line holds any of them (masks may appear).
pub async fn identity_plain_values_never_stored_or_logged(world: &mut World) {
    bank_knows(world, &OUYANG).await;
    bank_knows(world, &SIMA).await;
    redirect(world, "P-R1", ask("P-R1", "redirect", &OUYANG), "confirm").await;
    let mut mismatch = ask("P-R2", "redirect", &SIMA);
    mismatch["certificate_no"] = json!(STRANGER_ID);
    redirect(world, "P-R2", mismatch, "confirm").await;
    let (_, direct) = post(world, &ask("P-D1", "direct", &SIMA), Some("plain-key")).await;
    assert_eq!(direct["status"], "matched");
    let mut wrong_mobile = ask("P-D2", "direct", &OUYANG);
    wrong_mobile["mobile"] = json!(SIMA.mobile);
    let (_, direct) = post(world, &wrong_mobile, None).await;
    assert_eq!(direct["status"], "not_matched");
    // Refused requests: their answers name the field, never its value.
    let mut bad = ask("P-BAD", "direct", &OUYANG);
    bad["card_no"] = json!(format!("{}x", OUYANG.card_no));
    // The verifications above are notified first: only then is "nothing stored" a fact.
    world.quiet().await;
    let before = world.row_counts().await;
    let (status, refused) = post(world, &bad, None).await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"]["code"], "invalid_card_no");
    assert!(!refused.to_string().contains(OUYANG.card_no));
    world
        .assert_nothing_stored(&before, 0, "a refused verification")
        .await;
    let before = world.row_counts().await;
    // A forged result message carrying the plain values: rejected, and not kept readable.
    let forged_xml = format!(
        "<MSG><Message><TrxResponse><ReturnCode>0000</ReturnCode><TrxType>IdentityVerifyResult</TrxType><OrderNo>X</OrderNo><BankCardNo>{}</BankCardNo><CertificateNo>{}</CertificateNo><ClientName>{}</ClientName></TrxResponse></Message><Signature-Algorithm>SHA1withRSA</Signature-Algorithm><Signature>AAAA</Signature></MSG>",
        OUYANG.card_no, OUYANG.certificate_no, OUYANG.name
    );
    let forged = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(forged_xml.as_bytes())
    };
    let rejected = world
        .http
        .post(format!(
            "{}/callbacks/{}/identity/X",
            world.server_url, world.channel_account_id
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "MSG={}",
            form_urlencoded::byte_serialize(forged.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .expect("unipay answers");
    assert_eq!(rejected.status().as_u16(), 400);
    // The same forgery at the payment result endpoint: rejected there too, and not kept readable.
    let rejected = world
        .http
        .post(format!(
            "{}/callbacks/{}",
            world.server_url, world.channel_account_id
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "MSG={}",
            form_urlencoded::byte_serialize(forged.as_bytes()).collect::<String>()
        ))
        .send()
        .await
        .expect("unipay answers");
    assert_eq!(rejected.status().as_u16(), 400);
    // Kept as one rejected message (its hash and size only: the same bytes twice are one
    // record, seen twice), and nothing else.
    world
        .assert_stored(&before, &[("bank_messages", 1)], "a forged result, twice")
        .await;
    kcode_payment(world).await;
    let mandate = crate::mandates::signed_mandate(world, "P-M1", MANDATE_CARD).await;
    assert_eq!(mandate["status"], "active");
    // Let the notifier and the logs settle.
    world.quiet().await;

    let plain: Vec<&str> = [&OUYANG, &SIMA]
        .iter()
        .flat_map(|p| [p.name, p.certificate_no, p.card_no, p.mobile])
        .chain([
            STRANGER_ID,
            KCODE.name,
            KCODE.certificate_no,
            KCODE.card_no,
            KCODE.mobile,
            MANDATE_CARD,
            crate::mandates::CERTIFICATE_NO,
        ])
        .collect();
    let dump = world.dump_text().await;
    assert!(
        dump.iter()
            .any(|(table, _)| table == "identity_verifications"),
        "the dump reaches the verifications"
    );
    assert!(
        dump.iter().any(|(table, text)| table == "bank_messages"
            && text.contains("<BankCardNo>622848*********5192</BankCardNo>")
            && text.contains("<CertificateNo>440***********3711</CertificateNo>")),
        "the bank's result message is kept, masked"
    );
    assert!(
        !dump.iter().any(|(_, text)| text.contains("P-BAD")),
        "a refused request stores nothing"
    );
    for (table, text) in &dump {
        for value in &plain {
            assert!(
                !text.contains(value),
                "table {table} holds a plain personal value: {text}"
            );
        }
    }
    let db_url = world.db_url();
    if let Some(path) = db_url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap_or(path);
        for file in [path.to_string(), format!("{path}-wal")] {
            let Ok(bytes) = std::fs::read(&file) else {
                assert!(file.ends_with("-wal"), "the database file {file} is read");
                continue;
            };
            for value in &plain {
                assert!(
                    !contains(&bytes, value.as_bytes()),
                    "the database file {file} holds a plain personal value"
                );
            }
        }
    }
    // The key itself is a secret: never logged either.
    let config = std::fs::read_to_string(world.dir().join("unipay.toml")).expect("config");
    let hmac_key = config
        .lines()
        .find_map(|line| line.strip_prefix("hmac_key = "))
        .expect("the test config sets a key")
        .trim_matches('"')
        .to_string();
    let mut secrets = plain.clone();
    secrets.push(&hmac_key);
    for log in [world.log_path(), world.bank_log_path()] {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(!text.is_empty(), "{} is captured", log.display());
        for value in &secrets {
            assert!(
                !text.contains(value),
                "{} logs a plain personal value",
                log.display()
            );
        }
    }
}

/// The K-code payer: card, mobile, name and ID go through the bill and the confirmation.
const KCODE: Person = Person {
    name: "慕容秋水",
    certificate_no: "320106198809157825",
    card_no: "6259071234598765432",
    mobile: "13753981264",
};

/// The card a mandate is signed with.
const MANDATE_CARD: &str = "6228487766554433221";

/// A K-code payment paid with KCODE's card, mobile, name and ID number.
async fn kcode_payment(world: &World) {
    let body = json!({
        "out_trade_no": "P-K1",
        "amount": 1_000,
        "currency": "CNY",
        "subject": "学费 Tuition",
        "method": "kcode",
        "card_no": KCODE.card_no,
        "mobile_no": KCODE.mobile,
    });
    let created = world
        .client
        .send("POST", "/v1/payments", body.to_string().as_bytes(), &[])
        .await
        .expect("unipay answers");
    assert_eq!(created.status, 201, "{}", created.body);
    let payment = created.json();
    let order_no = payment["channel_order_no"].as_str().expect("order no");
    let texts: Value = world
        .http
        .get(format!(
            "{}/sim/sms?mobile={}",
            world.bank_url, KCODE.mobile
        ))
        .send()
        .await
        .expect("sim answers")
        .json()
        .await
        .expect("sim JSON");
    let code = texts
        .as_array()
        .expect("a list")
        .iter()
        .find(|text| text["order_no"] == order_no)
        .and_then(|text| text["code"].as_str())
        .expect("a code was texted")
        .to_string();
    let confirm = json!({
        "verify_code": code,
        "account_name": KCODE.name,
        "certificate_type": "I",
        "certificate_no": KCODE.certificate_no,
    });
    let path = format!(
        "/v1/payments/{}/kcode/confirm",
        payment["id"].as_str().expect("id")
    );
    let paid = world
        .client
        .send("POST", &path, confirm.to_string().as_bytes(), &[])
        .await
        .expect("unipay answers");
    assert_eq!(paid.status, 200, "{}", paid.body);
    assert_eq!(paid.json()["status"], "succeeded");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}
