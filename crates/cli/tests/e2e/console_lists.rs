//! The console's lists beyond payments over real HTTP against real `unipay serve` and the bank
//! simulator: each one's search narrows the page and its CSV file alike (exactly the rows
//! found, on every page), its count (and sum, where it holds money) is over the search, and
//! its pages walk forward and back.

use crate::console_pages::{Console, PASSWORD, Page};
use crate::harness::World;

/// The data lines of a CSV download (header dropped), after checking it is one for Excel.
pub(crate) fn csv_rows(page: &Page) -> Vec<String> {
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.content_type.starts_with("text/csv"),
        "{}",
        page.content_type
    );
    let body = page
        .body
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let mut lines: Vec<String> = body.trim_end().split("\r\n").map(str::to_string).collect();
    assert!(!lines.is_empty(), "a header");
    lines.remove(0);
    lines
}

/// The first field of each data line.
pub(crate) fn first_fields(rows: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .iter()
        .map(|row| row.split(',').next().unwrap_or("").to_string())
        .collect();
    ids.sort();
    ids
}

/// A link's `href` as a browser follows it.
fn href(page: &Page, test: &str) -> String {
    page.attribute_of(test, "href")
        .pop()
        .unwrap_or_else(|| panic!("no {test} link in {}", page.body))
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

/// Page 1 and the next page of `path` at one row a page hold `expected` (sorted) between
/// them, and the next page's "previous" link leads back to page 1.
pub(crate) async fn walk_two_pages(
    console: &mut Console,
    path: &str,
    test: &str,
    expected: &[String],
) {
    let joiner = if path.contains('?') { '&' } else { '?' };
    let first = console.get(&format!("{path}{joiner}per=1")).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.text_of("page-number"), "Page 1");
    let one = first.ids(test);
    assert_eq!(one.len(), 1, "{path}: {}", first.body);
    let second = console.get(&href(&first, "next-page")).await;
    assert_eq!(second.text_of("page-number"), "Page 2");
    let two = second.ids(test);
    assert_eq!(two.len(), 1, "{path}: {}", second.body);
    let mut both = vec![one[0].clone(), two[0].clone()];
    both.sort();
    assert_eq!(both, expected, "{path}: the next page shows the next row");
    let back = console.get(&href(&second, "previous-page")).await;
    assert_eq!(back.ids(test), one);
}

/// Proves merchants, apps and users (admin), refunds (operator) and the audit log each search,
/// count, page and download exactly what they find; a user who may not read the users page
/// may not download it either.
pub async fn every_list_searches_pages_and_exports(world: &mut World) {
    world.create_console_user("ada", "admin", PASSWORD).await;
    world
        .create_console_user("list-olga", "operator", PASSWORD)
        .await;
    world
        .create_console_user("list-otto", "operator", PASSWORD)
        .await;
    let mut ada = Console::sign_in(world, "ada").await;

    // Merchants: two found by part of their name, in either case.
    for name in ["Lists Tea House", "Lists Noodle Bar", "Elsewhere Books"] {
        let made = ada
            .post("/console/admin/merchants", &[("name", name)])
            .await;
        assert!(made.location.contains("ok="), "{}", made.location);
    }
    let found = ada.get("/console/admin/merchants?q=lists").await;
    let merchants = {
        let mut ids = found.ids("merchant-row");
        ids.sort();
        ids
    };
    assert_eq!(merchants.len(), 2, "{}", found.body);
    assert_eq!(found.text_of("list-total"), "2 found");
    let csv = csv_rows(&ada.get("/console/admin/merchants.csv?q=lists").await);
    assert_eq!(first_fields(&csv), merchants);
    assert!(csv.iter().all(|row| row.contains("Lists ")));
    walk_two_pages(
        &mut ada,
        "/console/admin/merchants?q=lists",
        "merchant-row",
        &merchants,
    )
    .await;

    // Apps: two new ones under the first of those merchants, found by the merchant's name.
    for name in ["Lists shop app", "Lists till app"] {
        let made = ada
            .post(
                "/console/admin/apps",
                &[("merchant_id", &merchants[0]), ("name", name)],
            )
            .await;
        assert_eq!(made.status, 200, "{}", made.body);
    }
    let found = ada
        .get(&format!("/console/admin/apps?q={}", merchants[0]))
        .await;
    let apps = {
        let mut ids = found.ids("app-row");
        ids.sort();
        ids
    };
    assert_eq!(apps.len(), 2, "{}", found.body);
    assert!(!apps.contains(&world.app_id));
    let csv = csv_rows(
        &ada.get(&format!("/console/admin/apps.csv?q={}", merchants[0]))
            .await,
    );
    assert_eq!(first_fields(&csv), apps);
    walk_two_pages(
        &mut ada,
        &format!("/console/admin/apps?q={}", merchants[0]),
        "app-row",
        &apps,
    )
    .await;

    // Users: the two whose name starts "list-".
    let users = vec!["list-olga".to_string(), "list-otto".to_string()];
    let found = ada.get("/console/admin/users?q=list-").await;
    let mut ids = found.ids("user-row");
    ids.sort();
    assert_eq!(ids, users);
    let csv = csv_rows(&ada.get("/console/admin/users.csv?q=list-").await);
    assert_eq!(first_fields(&csv), users);
    walk_two_pages(&mut ada, "/console/admin/users?q=list-", "user-row", &users).await;
    let mut olga = Console::sign_in(world, "list-olga").await;
    assert_eq!(olga.get("/console/admin/users.csv").await.status, 403);

    // Refunds: three from the console on one payment; a page of two, then the third.
    let payment = world.pay("LISTS-1", 1000, "server").await;
    world
        .wait_for_payment(&payment.id, |p| p.status == "succeeded")
        .await;
    let path = format!("/console/payments/{}", payment.id);
    for amount in ["0.01", "0.02", "0.03"] {
        let refunded = olga
            .post(&format!("{path}/refund"), &[("amount", amount)])
            .await;
        assert!(
            refunded.location.contains("ok=flash.refund_"),
            "{}",
            refunded.location
        );
    }
    let other = world.pay("LISTS-2", 500, "server").await;
    world
        .wait_for_payment(&other.id, |p| p.status == "succeeded")
        .await;
    let refunded = olga
        .post(
            &format!("/console/payments/{}/refund", other.id),
            &[("amount", "1.00")],
        )
        .await;
    assert!(refunded.location.contains("ok=flash.refund_"));
    let found = olga
        .get(&format!("/console/refunds?q={}", payment.id))
        .await;
    assert_eq!(found.text_of("list-total"), "3 found, ¥0.06 in all");
    let mut refunds = found.ids("refund-row");
    refunds.sort();
    assert_eq!(refunds.len(), 3);
    let csv = csv_rows(
        &olga
            .get(&format!("/console/refunds.csv?q={}", payment.id))
            .await,
    );
    assert_eq!(first_fields(&csv), refunds);
    assert!(
        csv.iter().all(|row| row.contains(",console-")),
        "a console refund's out_refund_no: {csv:?}"
    );
    let first = olga
        .get(&format!("/console/refunds?q={}&per=2", payment.id))
        .await;
    assert_eq!(first.ids("refund-row").len(), 2);
    let second = olga.get(&href(&first, "next-page")).await;
    assert_eq!(second.text_of("page-number"), "Page 2");
    let mut seen = first.ids("refund-row");
    seen.extend(second.ids("refund-row"));
    seen.sort();
    assert_eq!(seen, refunds, "the next page shows the rest");
    assert!(!second.body.contains(r#"data-test="next-page""#));
    let back = olga.get(&href(&second, "previous-page")).await;
    assert_eq!(back.ids("refund-row"), first.ids("refund-row"));

    // The audit log: exactly the entries of one action, on the page and in the file.
    let csv = csv_rows(&ada.get("/console/audit.csv?action=merchant.create").await);
    let by_ada = csv.iter().filter(|row| row.contains(",ada,")).count();
    assert_eq!(by_ada, 3, "{csv:?}");
    let log = ada.get("/console/audit?action=merchant.create").await;
    let actions = log.attribute_of("audit-row", "data-action");
    assert_eq!(actions.len(), csv.len(), "{}", log.body);
    assert_eq!(log.text_of("list-total"), format!("{} found", csv.len()));
    assert!(actions.iter().all(|a| a == "merchant.create"));
    // The action is chosen by its word, not typed as a code.
    assert!(
        log.body
            .contains(r#"<option value="merchant.create" selected>Merchant created</option>"#),
        "{}",
        log.body
    );
    assert!(
        !log.body.contains(r#"<input name="action""#),
        "{}",
        log.body
    );
    // Every download above is itself audited.
    let exports = csv_rows(&ada.get("/console/audit.csv?action=console.export").await);
    let by = |actor: &str| {
        exports
            .iter()
            .filter(|row| row.contains(&format!(",{actor},")))
            .count()
    };
    assert_eq!(
        (by("ada"), by("list-olga")),
        (4, 1),
        "merchants, apps, users, the audit log; refunds: {exports:?}"
    );
}
