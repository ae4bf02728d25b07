//! `unipay demo` as a newcomer runs it, with the browser played by reqwest: shop → cashier,
//! where the consumer chooses the bank → ABC's page, or UnionPay's gateway → unipay's result
//! page → back to the shop, and the shop's notifications; then a second run on the same data.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod page;
mod pay;

use page::{attribute_after, browser};
use pay::{buy_and_reach_abc, pay_at_abc, pay_at_unionpay, shop_hears_success};
use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub struct Demo {
    child: Child,
    urls: HashMap<String, String>,
    /// The console users the banner shows: `(username, password)`.
    users: Vec<(String, String)>,
}

impl Demo {
    /// Starts `unipay demo` on ephemeral ports and reads the banner's `name: URL` lines.
    async fn start(data_dir: &Path) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_unipay"))
            .arg("demo")
            .arg("--data-dir")
            .arg(data_dir)
            .args(["--unipay-listen", "127.0.0.1:0"])
            .args(["--bank-listen", "127.0.0.1:0"])
            .args(["--shop-listen", "127.0.0.1:0"])
            .args(["--unionpay-listen", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawns unipay demo");
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut urls = HashMap::new();
        let mut users = Vec::new();
        let read_banner = async {
            while let Some(line) = lines.next_line().await.expect("reads stdout") {
                if line.starts_with("Open ") {
                    return;
                }
                // `  console user <name> password <password>`
                if let Some(rest) = line.trim().strip_prefix("console user ") {
                    let words: Vec<&str> = rest.split_whitespace().collect();
                    if let [user, "password", password] = words[..] {
                        users.push((user.to_string(), password.to_string()));
                    }
                    continue;
                }
                if let Some((name, rest)) = line.trim().split_once(": ")
                    && let Some(value) = rest.split_whitespace().next()
                {
                    urls.insert(name.to_string(), value.to_string());
                }
            }
            panic!("the demo ended before printing its URLs");
        };
        tokio::time::timeout(Duration::from_secs(90), read_banner)
            .await
            .expect("the demo starts within 90 s");
        // Keep draining stdout so the child never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Demo { child, urls, users }
    }

    pub fn url(&self, name: &str) -> &str {
        let url = self
            .urls
            .get(name)
            .unwrap_or_else(|| panic!("the banner has no {name}: line: {:?}", self.urls));
        assert!(url.starts_with("http://"), "{name}: {url}");
        url
    }

    /// Stops the demo as Ctrl-C / SIGTERM would and expects a clean exit.
    async fn stop(mut self) {
        let pid = self.child.id().expect("still running");
        let killed = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("runs kill");
        assert!(killed.success());
        let status = tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .expect("stops within 30 s")
            .expect("waits");
        assert!(status.success(), "the demo exits cleanly: {status}");
    }
}

/// Signs in to the demo's console as `user`; the page it then lands on.
async fn console_home(http: &reqwest::Client, demo: &Demo, user: &str) -> String {
    let password = demo
        .users
        .iter()
        .find(|(name, _)| name == user)
        .map(|(_, password)| password.clone())
        .unwrap_or_else(|| panic!("the banner shows no console user {user}: {:?}", demo.users));
    let console = demo.url("console");
    let form = http.get(format!("{console}/login")).send().await.unwrap();
    assert_eq!(form.status().as_u16(), 200);
    let cookies = |response: &reqwest::Response| -> Vec<String> {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next().map(str::to_string))
            .collect()
    };
    let form_cookies = cookies(&form).join("; ");
    let form = form.text().await.unwrap();
    let csrf = attribute_after(&form, "name=\"csrf\"", "value").expect("the form's csrf");
    let signed_in = http
        .post(format!("{console}/login"))
        .header("cookie", &form_cookies)
        .form(&[
            ("username", user),
            ("password", password.as_str()),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303, "{user} signs in");
    let session = cookies(&signed_in).join("; ");
    let home = http
        .get(console)
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status().as_u16(), 200);
    home.text().await.unwrap()
}

/// The cashier's result page once it says the payment is paid; its "Return to the merchant"
/// link.
async fn paid_result(http: &reqwest::Client, result_url: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let result = http.get(result_url).send().await.unwrap();
        assert_eq!(result.status().as_u16(), 200);
        let result = result.text().await.unwrap();
        if result.contains("status-succeeded") {
            assert!(result.contains("Paid"), "{result}");
            return attribute_after(&result, "class=\"button\"", "href")
                .expect("Return to the merchant");
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not paid within 15 s: {result}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Back at the shop by the signed link: it verifies and shows the success.
async fn returned_to_the_shop(
    http: &reqwest::Client,
    demo: &Demo,
    return_link: &str,
    payment_id: &str,
) {
    assert!(
        return_link.starts_with(&format!("{}/return?", demo.url("shop"))),
        "{return_link}"
    );
    let returned = http.get(return_link).send().await.unwrap();
    let status = returned.status().as_u16();
    let returned = returned.text().await.unwrap();
    assert_eq!(status, 200, "{return_link}: {returned}");
    assert!(returned.contains("Signature verified"), "{returned}");
    assert!(returned.contains(payment_id));
    assert!(returned.contains("succeeded"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_through_both_banks_go_the_whole_way_and_a_second_run_reuses_the_data() {
    let data_dir = std::env::temp_dir().join(format!("unipay-demo-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let http = browser();

    let demo = Demo::start(&data_dir).await;
    for name in [
        "shop",
        "notifications",
        "unipay",
        "cashier",
        "metrics",
        "banksim",
        "sim-api",
        "console",
        "unionpay-sim",
        "unionpay-api",
    ] {
        demo.url(name);
    }
    assert_eq!(demo.urls["accounts"], "cha_demo", "{:?}", demo.urls);
    // One console user per role, ready to sign in.
    let names: Vec<&str> = demo.users.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["admin", "operator", "finance", "auditor"]);
    let home = console_home(&http, &demo, "operator").await;
    assert!(home.contains("data-test=\"whoami\""), "{home}");
    assert!(home.contains("operator"), "{home}");

    // Through ABC: its page, then unipay's result page, then back at the shop.
    let (abc_payment, bank_page) = buy_and_reach_abc(&http, &demo).await;
    let result_url = pay_at_abc(&http, &demo, &abc_payment, &bank_page).await;
    let return_link = paid_result(&http, &result_url).await;
    returned_to_the_shop(&http, &demo, &return_link, &abc_payment).await;
    let tampered = return_link.replace("status=succeeded", "status=failed");
    let tampered = http.get(&tampered).send().await.unwrap();
    assert_eq!(tampered.status().as_u16(), 400);
    assert!(tampered.text().await.unwrap().contains("Signature invalid"));
    shop_hears_success(&http, &demo, &abc_payment, "abc").await;

    // Through UnionPay: the gateway's page, its front notification through the browser.
    let (unionpay_payment, result_url) = pay_at_unionpay(&http, &demo).await;
    let return_link = paid_result(&http, &result_url).await;
    returned_to_the_shop(&http, &demo, &return_link, &unionpay_payment).await;
    shop_hears_success(&http, &demo, &unionpay_payment, "unionpay").await;

    // A forged notification is listed as such and not acknowledged.
    let forged = http
        .post(format!("{}/notify", demo.url("shop")))
        .header("unipay-signature", "t=1,v1=00")
        .body(r#"{"id":"evt_forged","type":"payment.succeeded","data":{"id":"pay_forged"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 400);
    let first_users = demo.users.clone();
    demo.stop().await;

    // A second run on the same data (other ports: the banks moved) starts, offers the two
    // banks again (not the first run's accounts as well) and takes payments.
    let demo = Demo::start(&data_dir).await;
    assert_eq!(demo.users, first_users, "the same console users again");
    assert_ne!(demo.urls["accounts"], "cha_demo", "{:?}", demo.urls);
    console_home(&http, &demo, "auditor").await;
    let (_, bank_page) = buy_and_reach_abc(&http, &demo).await;
    let page = http.get(&bank_page).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    demo.stop().await;

    let _ = std::fs::remove_dir_all(&data_dir);
}
