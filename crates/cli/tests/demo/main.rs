//! `unipay demo` as a newcomer runs it, with the browser played by reqwest: shop → cashier →
//! bank page → pay → unipay's result page → back to the shop, and the shop's notifications.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

struct Demo {
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

    fn url(&self, name: &str) -> &str {
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

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(response.status().as_u16(), 303, "a redirect");
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_string()
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

/// An absolute URL for a Location that may be relative to `base`'s origin.
fn absolute(base: &str, location: &str) -> String {
    reqwest::Url::parse(base)
        .unwrap()
        .join(location)
        .unwrap()
        .to_string()
}

/// The value of the first `name="…"` attribute after `after` in `html`, unescaped.
fn attribute_after(html: &str, after: &str, name: &str) -> Option<String> {
    let start = html.find(after)?;
    let rest = &html[start..];
    let at = rest.find(&format!("{name}=\""))? + name.len() + 2;
    let end = rest[at..].find('"')?;
    Some(unescape(&rest[at..at + end]))
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "quot" => Some('"'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix('#')
                .and_then(|n| n.parse::<u32>().ok())
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The shop's `/buy` → the cashier → the bank's payment page; returns (payment id, bank page URL).
async fn buy_and_reach_the_bank(http: &reqwest::Client, demo: &Demo) -> (String, String) {
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

    let checkout = http.get(&cashier_url).send().await.unwrap();
    assert_eq!(checkout.status().as_u16(), 200);
    let checkout = checkout.text().await.unwrap();
    assert!(checkout.contains("name=\"payment_type\""), "{checkout}");
    assert!(checkout.contains("0.01"));
    let action = attribute_after(&checkout, "<form", "action").expect("the cashier's form");
    let chosen = http
        .post(absolute(&cashier_url, &action))
        .form(&[("payment_type", "A")])
        .send()
        .await
        .unwrap();
    let bank_page = location(&chosen);
    assert!(
        bank_page.starts_with(&format!(
            "{}/ebus/PaymentModeNewAct.ebf?TOKEN=",
            demo.url("banksim")
        )),
        "{bank_page}"
    );
    (payment_id, bank_page)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_goes_the_whole_way_and_a_second_run_reuses_the_data() {
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
    ] {
        demo.url(name);
    }
    // One console user per role, ready to sign in.
    let names: Vec<&str> = demo.users.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["admin", "operator", "finance", "auditor"]);
    let home = console_home(&http, &demo, "operator").await;
    assert!(home.contains("data-test=\"whoami\""), "{home}");
    assert!(home.contains("operator"), "{home}");
    let (payment_id, bank_page) = buy_and_reach_the_bank(&http, &demo).await;

    // The bank's page: a form with the token that pays.
    let page = http.get(&bank_page).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("支付 / Pay"), "{page}");
    let action = attribute_after(&page, "<form", "action").expect("the bank's form");
    assert_eq!(action, "/sim/consumer");
    let token = attribute_after(&page, "name=\"TOKEN\"", "value").expect("the TOKEN");
    let paid = http
        .post(absolute(&bank_page, &action))
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
    let result = http.get(&result_url).send().await.unwrap();
    assert_eq!(result.status().as_u16(), 200);
    let result = result.text().await.unwrap();
    assert!(result.contains("Paid"), "{result}");
    let return_link =
        attribute_after(&result, "class=\"button\"", "href").expect("Return to the merchant");
    assert!(
        return_link.starts_with(&format!("{}/return?", demo.url("shop"))),
        "{return_link}"
    );

    // Back at the shop: the signed link verifies, a tampered one does not.
    let returned = http.get(&return_link).send().await.unwrap();
    let status = returned.status().as_u16();
    let returned = returned.text().await.unwrap();
    assert_eq!(status, 200, "{return_link}: {returned}");
    assert!(returned.contains("Signature verified"), "{returned}");
    assert!(returned.contains(&payment_id));
    assert!(returned.contains("succeeded"));
    let tampered = return_link.replace("status=succeeded", "status=failed");
    let tampered = http.get(&tampered).send().await.unwrap();
    assert_eq!(tampered.status().as_u16(), 400);
    assert!(tampered.text().await.unwrap().contains("Signature invalid"));

    // The signed server notification reaches the shop.
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
            .find(|row| row.contains(&payment_id) && row.contains("payment.succeeded"));
        if let Some(row) = row {
            assert!(row.contains("✓ verified"), "{row}");
            assert!(row.contains("succeeded</td>"), "{row}");
            assert!(row.contains("0.01"), "{row}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no verified payment.succeeded within 15 s: {list}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
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

    // A second run on the same data (other ports: the bank moved) starts and takes payments.
    let demo = Demo::start(&data_dir).await;
    assert_eq!(demo.users, first_users, "the same console users again");
    console_home(&http, &demo, "auditor").await;
    let (_, bank_page) = buy_and_reach_the_bank(&http, &demo).await;
    let page = http.get(&bank_page).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    demo.stop().await;

    let _ = std::fs::remove_dir_all(&data_dir);
}
