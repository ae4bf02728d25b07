//! Result notifications: server mode with retries, page mode, and the consumer's browser.

use crate::common::*;
use std::time::Duration;

#[tokio::test]
async fn server_notification_is_signed_and_retried_until_acknowledged() {
    let sim = start_sim(vec![0, 20, 20, 20, 20]).await;
    let receiver = start_receiver(2).await;
    sim.pay_req("S1", "2.00", "1", &receiver.url).await;
    let order = sim.pay("S1", "success", "server").await;
    assert_eq!(order["status"], "04");
    receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        receiver.count(),
        3,
        "no more attempts after the acknowledgement"
    );

    let order = sim.order("S1").await;
    assert_eq!(order["notify_attempts"], 3);
    assert_eq!(order["notify_acknowledged"], true);
    assert_eq!(order["notify_log"][0]["http_status"], 500);
    assert_eq!(order["notify_log"][2]["url"], "http://x/y");
    assert_eq!(order["amount_fen"], 200);
    assert_eq!(order["merchant_id"], MERCHANT_ID);
    assert!(order["accounting_date"].as_str().unwrap().len() == 10);

    let fields = receiver.notification(2, &sim.certificate);
    assert_eq!(fields.trx_type, "PayResult");
    assert_eq!(fields.return_code, "0000");
    assert_eq!(fields.merchant_id, MERCHANT_ID);
    assert_eq!(fields.order_no, "S1");
    assert_eq!(fields.amount.fen(), 200);
    assert_eq!(fields.notify_type, "1");
    assert_eq!(fields.pay_type, "EP001");
    assert_eq!(fields.merchant_remarks, "备注<1>");
    assert_eq!(fields.i_rsp_ref, order["i_rsp_ref"].as_str().unwrap());
    assert_eq!(fields.host_date, order["host_date"].as_str().unwrap());
    assert_eq!(fields.host_time.len(), 8);
    assert!(!fields.voucher_no.is_empty() && !fields.batch_no.is_empty());
}

#[tokio::test]
async fn retries_stop_at_the_end_of_the_schedule() {
    let sim = start_sim(vec![0, 10, 10]).await;
    let receiver = start_receiver(usize::MAX).await;
    sim.pay_req("S2", "1.00", "1", &receiver.url).await;
    sim.pay("S2", "success", "server").await;
    receiver.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(receiver.count(), 3);
    let order = sim.order("S2").await;
    assert_eq!(order["notify_acknowledged"], false);
    assert_eq!(order["notify_attempts"], 3);
}

#[tokio::test]
async fn page_mode_posts_once_with_notify_type_0_and_both_sends_both() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    sim.pay_req("P1", "1.50", "0", &receiver.url).await;
    let order = sim.pay("P1", "success", "page").await;
    // Page delivery is done when the API answers.
    assert_eq!(receiver.count(), 1);
    assert_eq!(order["notify_log"][0]["mode"], "page");
    assert_eq!(receiver.notification(0, &sim.certificate).notify_type, "0");

    sim.pay_req("P2", "1.50", "0", &receiver.url).await;
    sim.pay("P2", "success", "both").await;
    receiver.wait_for(3).await;
    let mut types: Vec<String> = (1..3)
        .map(|i| receiver.notification(i, &sim.certificate).notify_type)
        .collect();
    types.sort();
    assert_eq!(types, ["0", "1"]);
}

#[tokio::test]
async fn a_decline_notifies_a_failure_code() {
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    sim.pay_req("N1", "1.00", "1", &receiver.url).await;
    sim.pay("N1", "decline", "server").await;
    receiver.wait_for(1).await;
    let fields = receiver.notification(0, &sim.certificate);
    assert_eq!(fields.return_code, "2309");
    assert!(!fields.error_message.is_empty());
}

/// The value of the hidden MSG input of an HTML form.
fn hidden_msg(html: &str) -> String {
    let at = html.find("name=\"MSG\" value=\"").unwrap() + "name=\"MSG\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn the_consumer_pays_in_the_browser() {
    let sim = start_sim(vec![0, 20]).await;
    let receiver = start_receiver(0).await;

    // Server mode: the first attempt is acknowledged, so the browser goes to the merchant's URL.
    let answer = sim.pay_req("B1", "8.00", "1", &receiver.url).await;
    let token = answer
        .field("PaymentURL")
        .split("TOKEN=")
        .nth(1)
        .unwrap()
        .to_string();
    let page = sim
        .http
        .post(sim.url("/sim/consumer"))
        .form(&[("TOKEN", token.as_str()), ("action", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("http-equiv=\"refresh\"") && html.contains("http://x/y"),
        "{html}"
    );
    assert_eq!(receiver.count(), 1);
    assert_eq!(receiver.notification(0, &sim.certificate).notify_type, "1");

    // The payment page of a paid order is the result page, with the resend button.
    let result = sim
        .http
        .get(answer.field("PaymentURL"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(result.contains("【通知商户支付成功】"), "{result}");
    assert!(result.contains(&receiver.url));
    let resend = form_urlencoded::Serializer::new(String::new())
        .append_pair("MSG", &html_unescape(&hidden_msg(&result)))
        .finish();
    assert_eq!(
        read_notification_form(&resend, &sim.certificate).notify_type,
        "0"
    );

    // Page mode: an auto-submitting form to ResultNotifyURL.
    let answer = sim.pay_req("B2", "8.00", "0", &receiver.url).await;
    let token = answer
        .field("PaymentURL")
        .split("TOKEN=")
        .nth(1)
        .unwrap()
        .to_string();
    let html = sim
        .http
        .post(sim.url("/sim/consumer"))
        .form(&[("TOKEN", token.as_str()), ("action", "decline")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("action=\"{}\"", receiver.url)));
    assert!(html.contains(".submit()"));
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("MSG", &html_unescape(&hidden_msg(&html)))
        .finish();
    let fields = read_notification_form(&body, &sim.certificate);
    assert_eq!(
        (fields.return_code.as_str(), fields.notify_type.as_str()),
        ("2309", "0")
    );
    assert_eq!(sim.order("B2").await["status"], "99");
}

fn html_unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Proves the notification's two encodings: the message carries 喆 and 镕 in GBK, while the
/// signature covers the GB2312 bytes, where each is `?` (Java's `getBytes("gb2312")`), so a
/// verifier over the GBK bytes fails and one over the GB2312 bytes succeeds; and `<`, `>`, `&`
/// are written raw, as the bank's client shows them.
#[tokio::test]
async fn remarks_keep_gbk_only_characters_and_raw_markup_while_the_signature_is_gb2312() {
    use base64::Engine;
    let sim = start_sim(vec![0]).await;
    let receiver = start_receiver(0).await;
    let remarks = "张喆 a<b>&c 镕";
    let message = crate::sdk::pay_req("G1", "1.00", "1", &receiver.url)
        .set("MerchantRemarks", remarks)
        .message();
    assert_eq!(sim.transact(&message).await.code(), "0000");
    sim.pay("G1", "success", "server").await;
    receiver.wait_for(1).await;

    let body = receiver.bodies.lock().unwrap()[0].clone();
    let msg = form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "MSG")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let envelope = base64::engine::general_purpose::STANDARD
        .decode(&msg)
        .unwrap();
    let (text, _, errors) = encoding_rs::GBK.decode(&envelope);
    assert!(!errors);
    assert!(
        text.contains(&format!("<MerchantRemarks>{remarks}</MerchantRemarks>")),
        "{text}"
    );
    let xml = crate::wire::field(&text, "Message").unwrap();
    let signature = base64::engine::general_purpose::STANDARD
        .decode(crate::wire::field(&text, "Signature").unwrap())
        .unwrap();
    let gb2312 = crate::wire::gb2312_bytes(xml);
    let (gbk, _, _) = encoding_rs::GBK.encode(xml);
    // 张 stays two bytes; 喆 and 镕 become one `?` each.
    assert_eq!(gbk.len() - gb2312.len(), 2);
    let (zhang, _, _) = encoding_rs::GBK.encode("张");
    let expected_remarks = [&zhang[..], b"? a<b>&c ?"].concat();
    assert!(
        gb2312
            .windows(expected_remarks.len())
            .any(|w| w == expected_remarks.as_slice())
    );
    let algorithm = unipay_channel_abc::crypto::SignatureAlgorithm::Sha1WithRsa;
    assert!(
        sim.certificate
            .verify(algorithm, &gb2312, &signature)
            .is_ok()
    );
    assert!(sim.certificate.verify(algorithm, &gbk, &signature).is_err());
    // Read as the bank's client reads it: by tags, nothing unescaped.
    let fields = receiver.notification(0, &sim.certificate);
    assert_eq!(fields.merchant_remarks, remarks);
}
