//! The consumer's path, all in the browser: the cashier, the bank's payment page, unipay's
//! result page, and back to the business system's return page.

use crate::harness::World;
use crate::screenshots;
use crate::shop::Shop;
use crate::webdriver::Browser;
use unipay_client::{CreatePayment, Payment};

/// Creates a payment that returns to `shop` and pays it by clicking through the cashier and the
/// bank's page; the bank reports server to server (the channel account's notify type) and sends
/// the browser to unipay's result page. Returns the payment and the bank page's URL.
pub async fn pay_in_the_browser(
    world: &World,
    browser: &Browser,
    shop: &Shop,
    out_trade_no: &str,
    photograph: bool,
) -> (Payment, String) {
    let payment = world
        .client
        .create_payment(&CreatePayment {
            out_trade_no: out_trade_no.into(),
            amount: 12_345,
            currency: "CNY".into(),
            subject: "学费 Tuition".into(),
            return_url: Some(shop.return_url()),
            ..Default::default()
        })
        .await
        .expect("creates the payment");
    browser
        .goto(&format!("{}/pay/{}", world.server_url, payment.id))
        .await;
    let cashier = browser.wait_for_text("123.45").await;
    assert!(cashier.contains(out_trade_no), "{cashier}");
    // Who is paid, and until when (Beijing time, said so).
    let payee = browser.find("[data-test=merchant-name]").await;
    assert!(!browser.text(&payee).await.trim().ends_with(':'));
    let deadline = browser.find("[data-test=deadline]").await;
    assert!(browser.text(&deadline).await.contains("UTC+8"));
    if photograph {
        screenshots::save(browser, "cashier").await;
    }
    browser
        .click_on(&format!(
            "form[action='/pay/{}'] button[type=submit]",
            payment.id
        ))
        .await;

    let bank_page = browser
        .wait_for_url("the bank's payment page", |url| {
            url.starts_with(&world.bank_url)
        })
        .await;
    browser.wait_for_text(&payment.channel_order_no).await;
    if photograph {
        screenshots::save(browser, "bank-page").await;
    }
    browser.click_on("button[name=action][value=pay]").await;

    let result_path = format!("/pay/{}/result", payment.id);
    browser
        .wait_for_url("unipay's result page", |url| {
            url.starts_with(&world.server_url) && url.ends_with(&result_path)
        })
        .await;
    (payment, bank_page)
}

/// From unipay's result page, follows the link back to the business system.
pub async fn return_to_the_shop(browser: &Browser, shop: &Shop, payment: &Payment) {
    browser.click_on("a.button").await;
    browser
        .wait_for_url("the business system's return page", |url| {
            url.starts_with(&shop.return_url())
        })
        .await;
    let status = browser.find("[data-test=shop-status]").await;
    assert_eq!(browser.text(&status).await, "succeeded");
    let id = browser.find("[data-test=shop-payment]").await;
    assert_eq!(browser.text(&id).await, payment.id);
}

/// Proves a consumer pays with real clicks through the cashier and the bank's page, and comes
/// back to the business system's return page with a result it can verify.
pub async fn consumer_pays_and_returns_to_the_business_system(
    world: &mut World,
    browser: &Browser,
) {
    let shop = Shop::start(&world.secret).await;
    let (payment, _) = pay_in_the_browser(world, browser, &shop, "BROWSER-1", true).await;
    let result = browser.wait_for_text("Return to the merchant").await;
    assert!(result.contains("123.45"), "{result}");
    let paid = world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    assert_eq!(paid.status, "succeeded");
    return_to_the_shop(browser, &shop, &payment).await;
    screenshots::save(browser, "return-page").await;
    // The business system hears once, however many notifications the bank sent.
    world
        .assert_notified_once(&payment.id, &["payment.succeeded"])
        .await;
}
