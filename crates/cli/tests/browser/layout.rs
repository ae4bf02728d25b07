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

/// The widths a console page's table headers are checked at: a laptop, a small laptop, a phone.
const HEADER_WIDTHS: [u32; 3] = [1366, 1024, 390];

/// The table headers of the page that break a line inside a word: anywhere but after a space,
/// `/` or `-` or before a space or an opening bracket (`银行费率` / `（基点）`).
async fn headers_broken_mid_word(browser: &Browser) -> Vec<String> {
    let broken = browser
        .execute(
            "const broken = []; \
             for (const th of document.querySelectorAll('main th')) { \
               const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT); \
               let top = null, before = ' ', split = false; \
               for (let node = walker.nextNode(); node && !split; node = walker.nextNode()) { \
                 const text = node.textContent; \
                 for (let i = 0; i < text.length && !split; i++) { \
                   const range = document.createRange(); \
                   range.setStart(node, i); range.setEnd(node, i + 1); \
                   const rect = range.getClientRects()[0]; \
                   const here = text[i]; \
                   if (!rect || rect.width === 0) { before = here; continue; } \
                   split = top !== null && rect.top > top + 1 \
                     && !/[\\s\\/-]/.test(before) && !/[\\s(（]/.test(here); \
                   top = rect.top; before = here; \
                 } \
               } \
               if (split) broken.push(th.textContent.trim()); \
             } \
             return broken;",
            json!([]),
        )
        .await;
    serde_json::from_value(broken).expect("a list of headers")
}

/// Proves no table header of the page shown breaks inside a word at a laptop's, a small
/// laptop's or a phone's width (a wide table scrolls in its box instead); `page` names it in
/// a failure. Leaves the window at the width it found it.
pub async fn headers_keep_their_words(browser: &Browser, page: &str) {
    let (width, height): (u32, u32) = serde_json::from_value(
        browser
            .execute("return [window.outerWidth, window.outerHeight];", json!([]))
            .await,
    )
    .expect("the window's size");
    for at in HEADER_WIDTHS {
        browser.resize(at, height).await;
        let broken = headers_broken_mid_word(browser).await;
        assert!(
            broken.is_empty(),
            "{page} at {at} px: headers broken inside a word: {broken:?}"
        );
    }
    browser.resize(width, height).await;
}
