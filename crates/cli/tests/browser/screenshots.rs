//! Screenshots of the main pages, for a reviewer to look at: one folder,
//! `target/screenshots/`, one `NN-page.png` per page, numbered in the order a visitor meets them;
//! and every console flow in each language (`tour.rs`), in `flows/<language>/NN-flow.png`.

use crate::webdriver::Browser;
use std::path::PathBuf;

/// Every page photographed, in order; the number in the file name is the position here.
const PAGES: &[&str] = &[
    "cashier",
    "bank-page",
    "return-page",
    "sign-in",
    "dashboard",
    "payments",
    "payment-detail",
    "notifications",
    "reconciliation",
    "settlement",
    "audit",
    "admin",
    "confirm",
    "phone-payments",
    "phone-menu",
];

/// Every flow `tour.rs` photographs, in the order it walks them.
const FLOWS: &[&str] = &[
    "sign-in",
    "dashboard",
    "payments",
    "refunds",
    "notifications",
    "reconciliation",
    "settlement",
    "audit",
    "merchants",
    "apps",
    "channel-accounts",
    "users",
    "mandates",
    "debit-batches",
    "refund-batches",
    "identity-verifications",
    "payment-detail",
    "confirm",
    "password",
    "signed-out",
    "cashier-kcode",
    "cashier-declined",
];

/// Saves the whole current page as `flows/<lang>/NN-<flow>.png`.
pub async fn save_flow(browser: &Browser, flow: &str, lang: &str) {
    let position = FLOWS
        .iter()
        .position(|f| *f == flow)
        .unwrap_or_else(|| panic!("{flow} is not in the list of flows"));
    let png = browser.full_page_png().await;
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let folder = folder().join("flows").join(lang);
    std::fs::create_dir_all(&folder).expect("screenshot folder");
    let path = folder.join(format!("{:02}-{flow}.png", position + 1));
    std::fs::write(&path, png).expect("writes the screenshot");
}

/// `target/screenshots`, found from the test binary (`target/<profile>/deps/browser-…`), so that
/// it follows `CARGO_TARGET_DIR`.
fn folder() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    let target = exe
        .ancestors()
        .nth(3)
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    target.join("screenshots")
}

/// Saves the whole current page as `NN-<page>.png`.
pub async fn save(browser: &Browser, page: &str) {
    let png = browser.full_page_png().await;
    write(page, png);
}

/// Saves what the window shows, at its current size (a phone's, say), as `NN-<page>.png`.
pub async fn save_window(browser: &Browser, page: &str) {
    let png = browser.screenshot_png().await;
    write(page, png);
}

fn write(page: &str, png: Vec<u8>) {
    let position = PAGES
        .iter()
        .position(|p| *p == page)
        .unwrap_or_else(|| panic!("{page} is not in the list of pages"));
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    let folder = folder();
    std::fs::create_dir_all(&folder).expect("screenshot folder");
    let path = folder.join(format!("{:02}-{page}.png", position + 1));
    std::fs::write(&path, png).expect("writes the screenshot");
}
