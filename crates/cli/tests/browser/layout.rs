//! The console's layout at the widths it is used at: a phone (390 px: no sideways scrolling,
//! the menu folded behind a button) and a small laptop (1024 px: a wide table scrolls inside
//! its own box, the page does not), in both languages.

use crate::harness::World;
use crate::screenshots;
use crate::webdriver::Browser;
use serde_json::json;

/// Whether the page is wider than the window (the reader would scroll sideways).
async fn scrolls_sideways(browser: &Browser) -> bool {
    browser
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth;",
            json!([]),
        )
        .await
        .as_bool()
        .expect("a boolean")
}

async fn displayed(browser: &Browser, css: &str) -> bool {
    browser
        .execute(
            "const e = document.querySelector(arguments[0]); \
             return !!e && getComputedStyle(e).display !== 'none';",
            json!([css]),
        )
        .await
        .as_bool()
        .expect("a boolean")
}

/// Proves the payments list and a payment's page fit a 390 px phone and a 1024 px laptop in
/// Chinese and English, the menu folds and opens without script, and the English menu at
/// 1280 px is either one line or folded.
pub async fn fits_a_phone_and_a_small_laptop(world: &World, browser: &Browser) {
    let payments = format!("{}/console/payments", world.server_url);
    for lang in ["zh-CN", "en"] {
        browser
            .goto(&format!(
                "{}/console/lang/{lang}?back=%2Fconsole%2Fpayments",
                world.server_url
            ))
            .await;
        browser.find("[data-test=payment-row]").await;
        let one_line = browser
            .execute(
                "const nav = document.querySelector('[data-test=main-nav]'); \
                 const menu = document.querySelector('[data-test=menu-button]'); \
                 if (getComputedStyle(menu).display !== 'none') return true; \
                 const tops = [...nav.querySelectorAll('a')].map(a => a.getBoundingClientRect().top); \
                 return new Set(tops).size === 1;",
                json!([]),
            )
            .await;
        assert_eq!(
            one_line,
            json!(true),
            "{lang}: the menu is one line or folded"
        );

        browser.resize(390, 844).await;
        browser.goto(&payments).await;
        browser.find("[data-test=payment-row]").await;
        assert!(!scrolls_sideways(browser).await, "{lang}: 390 px, payments");
        assert!(displayed(browser, "[data-test=menu-button]").await);
        assert!(!displayed(browser, "[data-test=main-nav]").await, "folded");
        if lang == "zh-CN" {
            screenshots::save_window(browser, "phone-payments").await;
        }
        browser.click_on("[data-test=menu-button]").await;
        assert!(displayed(browser, "[data-test=main-nav]").await, "opens");
        assert!(
            !scrolls_sideways(browser).await,
            "{lang}: 390 px, menu open"
        );
        if lang == "zh-CN" {
            screenshots::save_window(browser, "phone-menu").await;
        }
        let row = browser.find("[data-test=payment-row] a").await;
        browser.click(&row).await;
        browser.find("[data-test=payment-status]").await;
        assert!(
            !scrolls_sideways(browser).await,
            "{lang}: 390 px, a payment"
        );

        browser.resize(1024, 768).await;
        browser.goto(&payments).await;
        browser.find("[data-test=payment-row]").await;
        assert!(
            !scrolls_sideways(browser).await,
            "{lang}: 1024 px, payments"
        );
        browser.resize(1280, 900).await;
    }
}
