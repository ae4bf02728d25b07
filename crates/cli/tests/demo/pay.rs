//! A consumer buying at the demo shop: the cashier's choice of bank, then paying at the
//! simulated ABC's page or at the simulated UnionPay gateway's, up to unipay's result page.

use crate::Demo;
use crate::page::{absolute, attribute_after, bank_options, form_of, location, unescape};
use std::time::Duration;

pub const ABC: &str = "中国农业银行 Agricultural Bank of China";
pub const UNIONPAY: &str = "中国银联 UnionPay";

/// The shop's `/buy` → the cashier, which offers the two banks and no way to pay until one is
/// chosen → `bank` chosen → the ways to pay at that bank. Returns the payment id, the
/// cashier's URL and its page after the choice.
pub async fn buy_and_choose(
    http: &reqwest::Client,
    demo: &Demo,
    bank: &str,
) -> (String, String, String) {
    let shop = demo.url("shop");
    let index = http.get(shop).send().await.unwrap();
    assert_eq!(index.status().as_u16(), 200);
    let index = index.text().await.unwrap();
    assert!(index.contains("Tuition, autumn 2026"), "{index}");
    assert!(index.contains("action=\"/buy\""));

    let bought = http
        .post(format!("{shop}/buy"))
        .form(&[("amount", "0.01")])
        .send()
        .await
        .unwrap();
    let cashier_url = location(&bought);
    assert!(
        cashier_url.starts_with(&format!("{}/pay/", demo.url("unipay"))),
        "{cashier_url}"
    );
    let payment_id = cashier_url.rsplit('/').next().unwrap().to_string();

    let checkout = http
        .get(&cashier_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(checkout.contains("0.01"), "{checkout}");
    assert!(!checkout.contains("name=\"payment_type\""), "{checkout}");
    let banks = bank_options(&checkout);
    let names: Vec<&str> = banks.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(names, [ABC, UNIONPAY], "exactly the two banks: {checkout}");
    let (account, _) = banks.iter().find(|(_, name)| name == bank).unwrap();
    let chosen = http
        .post(format!("{cashier_url}/bank"))
        .form(&[("channel_account_id", account.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(absolute(&cashier_url, &location(&chosen)), cashier_url);
    let checkout = http
        .get(&cashier_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(checkout.contains("name=\"payment_type\""), "{checkout}");
    (payment_id, cashier_url, checkout)
}

/// Bought, ABC chosen and its way to pay taken: the payment id and the bank's page URL.
pub async fn buy_and_reach_abc(http: &reqwest::Client, demo: &Demo) -> (String, String) {
    let (payment_id, cashier_url, checkout) = buy_and_choose(http, demo, ABC).await;
    assert!(
        checkout.contains(&format!("action=\"/pay/{payment_id}\"")),
        "{checkout}"
    );
    let sent = http
        .post(&cashier_url)
        .form(&[("payment_type", "A")])
        .send()
        .await
        .unwrap();
    let bank_page = location(&sent);
    assert!(
        bank_page.starts_with(&format!(
            "{}/ebus/PaymentModeNewAct.ebf?TOKEN=",
            demo.url("banksim")
        )),
        "{bank_page}"
    );
    (payment_id, bank_page)
}

/// Pays on ABC's page; the result page unipay's cashier shows once the bank is done.
pub async fn pay_at_abc(
    http: &reqwest::Client,
    demo: &Demo,
    payment_id: &str,
    bank_page: &str,
) -> String {
    let page = http.get(bank_page).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("支付 / Pay"), "{page}");
    let action = attribute_after(&page, "<form", "action").expect("the bank's form");
    assert_eq!(action, "/sim/consumer");
    let token = attribute_after(&page, "name=\"TOKEN\"", "value").expect("the TOKEN");
    let paid = http
        .post(absolute(bank_page, &action))
        .form(&[("TOKEN", token.as_str()), ("action", "pay")])
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status().as_u16(), 200);
    let paid = paid.text().await.unwrap();
    // Server mode: once unipay acknowledged the bank's notification the bank sends the
    // browser to unipay's result page.
    let result_url = paid
        .split("url=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .unwrap_or_else(|| panic!("the bank redirects to unipay: {paid}"));
    assert_eq!(
        result_url,
        format!("{}/pay/{payment_id}/result", demo.url("unipay"))
    );
    result_url
}

/// Bought, UnionPay chosen and paid at the gateway's page; the browser carries the gateway's
/// front notification back to unipay, which sends it on to its result page, returned.
pub async fn pay_at_unionpay(http: &reqwest::Client, demo: &Demo) -> (String, String) {
    let (payment_id, cashier_url, checkout) = buy_and_choose(http, demo, UNIONPAY).await;
    assert!(
        checkout.contains("name=\"payment_type\" value=\"07\""),
        "{checkout}"
    );
    assert!(
        checkout.contains(&format!("action=\"/pay/{payment_id}\"")),
        "{checkout}"
    );
    let to_gateway = http
        .post(&cashier_url)
        .form(&[("payment_type", "07")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        to_gateway.status().as_u16(),
        200,
        "the cashier's form to the gateway"
    );
    let (action, fields) = form_of(&to_gateway.text().await.unwrap());
    assert!(action.starts_with(demo.url("unionpay-sim")), "{action}");
    let gateway_page = http.post(&action).form(&fields).send().await.unwrap();
    assert_eq!(gateway_page.status().as_u16(), 200);
    let gateway_page = gateway_page.text().await.unwrap();
    assert!(gateway_page.contains("银联在线支付"), "{gateway_page}");
    let (payer_action, mut answer) = form_of(&gateway_page);
    answer.push(("decision".into(), "pay".into()));
    let front = http.post(&payer_action).form(&answer).send().await.unwrap();
    assert_eq!(front.status().as_u16(), 200);
    // The page posts the signed front notification on by itself; the browser is sent on.
    let (front_url, notice) = form_of(&front.text().await.unwrap());
    assert!(front_url.starts_with(demo.url("unipay")), "{front_url}");
    let back_at_unipay = http.post(&front_url).form(&notice).send().await.unwrap();
    let result_url = absolute(&front_url, &location(&back_at_unipay));
    assert_eq!(
        result_url,
        format!("{}/pay/{payment_id}/result", demo.url("unipay"))
    );
    (payment_id, result_url)
}

/// Waits until the shop lists a verified `payment.succeeded` for `payment_id` through
/// `channel`.
pub async fn shop_hears_success(
    http: &reqwest::Client,
    demo: &Demo,
    payment_id: &str,
    channel: &str,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let list = http
            .get(demo.url("notifications"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(list.contains("http-equiv=\"refresh\" content=\"2\""));
        let row = list
            .split("<tr>")
            .find(|row| row.contains(payment_id) && row.contains("payment.succeeded"));
        if let Some(row) = row {
            assert!(row.contains("✓ verified"), "{row}");
            assert!(row.contains(&format!("<td>{channel}</td>")), "{row}");
            assert!(row.contains("succeeded</td>"), "{row}");
            assert!(row.contains("0.01"), "{row}");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no verified payment.succeeded for {payment_id} within 15 s: {list}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
