//! The demo's business system: a one-product shop that sells through unipay. It creates a
//! payment and sends the browser to the cashier, checks the signed return link, and keeps the
//! signed notifications it receives in memory to show them.

use axum::body::Bytes;
use axum::extract::{Form, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, http};
use serde::Deserialize;
use serde_json::Value;
use std::future::Future;
use std::sync::{Arc, Mutex};
use unipay_client::{Client, CreatePayment};
use unipay_core::money::{Amount, format_yuan, parse_yuan_to_fen};

pub const PRODUCT: &str = "2026 秋季学费 Tuition, autumn 2026";
const DEFAULT_AMOUNT: &str = "0.01";
/// How far a notification's timestamp may be from our clock, as the client's receiver allows.
const SIGNATURE_TOLERANCE_S: i64 = 300;
/// Notifications kept for the page; older ones are forgotten so memory stays bounded.
const MAX_NOTIFICATIONS: usize = 200;

/// Where the other parts of the demo are, for the pages' links.
pub struct ShopConfig {
    pub shop_url: String,
    pub unipay_url: String,
    pub bank_url: String,
    pub app_id: String,
    pub secret: String,
}

struct Received {
    event_id: String,
    event_type: String,
    payment_id: String,
    out_trade_no: String,
    status: String,
    amount: Option<i64>,
    received_at: String,
    /// `None` when the signature verified, else why not.
    signature_error: Option<String>,
}

struct Shop {
    config: ShopConfig,
    client: Client,
    received: Mutex<Vec<Received>>,
}

/// Serves the shop on `listener` until `shutdown` completes.
pub async fn serve(
    config: ShopConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let client = Client::new(&config.unipay_url, &config.app_id, &config.secret)?;
    let shop = Arc::new(Shop {
        config,
        client,
        received: Mutex::new(Vec::new()),
    });
    let app = Router::new()
        .route("/", get(index))
        .route("/buy", post(buy))
        .route("/return", get(return_page))
        .route("/notify", post(notify))
        .route("/notifications", get(notifications))
        .with_state(shop);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

async fn index(State(shop): State<Arc<Shop>>) -> Response {
    let body = format!(
        "<div class=\"card\"><h2>{}</h2>\
         <form method=\"post\" action=\"/buy\">\
         <label>金额 Amount (元 yuan) <input name=\"amount\" value=\"{DEFAULT_AMOUNT}\" inputmode=\"decimal\" size=\"10\"></label>\
         <button type=\"submit\">支付 Pay</button></form></div>\
         <p class=\"meta\">Pay goes to the unipay cashier, then to the simulated bank. \
         Nothing real is charged. Paid as app <code>{}</code>.</p>",
        escape(PRODUCT),
        escape(&shop.config.app_id),
    );
    page(&shop, StatusCode::OK, "演示商店 Demo shop", "", &body)
}

#[derive(Deserialize)]
struct BuyForm {
    amount: String,
}

async fn buy(State(shop): State<Arc<Shop>>, Form(form): Form<BuyForm>) -> Response {
    let amount = match parse_yuan_to_fen(form.amount.trim()).and_then(Amount::from_fen) {
        Ok(amount) => amount,
        Err(error) => {
            return message(
                &shop,
                StatusCode::BAD_REQUEST,
                "金额无效 Invalid amount",
                &format!("{error}. Enter yuan with at most two decimals, e.g. 0.01."),
            );
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let request = CreatePayment {
        // Unique per click: the time-ordered id body, as unipay's own ids use.
        out_trade_no: format!("DEMO-{}", unipay_core::ids::new_body(now)),
        amount: amount.fen(),
        currency: "CNY".into(),
        subject: PRODUCT.into(),
        notify_url: Some(format!("{}/notify", shop.config.shop_url)),
        return_url: Some(format!("{}/return", shop.config.shop_url)),
        ..Default::default()
    };
    match shop.client.create_payment(&request).await {
        Ok(payment) => {
            tracing::info!(payment_id = %payment.id, out_trade_no = %payment.out_trade_no, "shop: payment created");
            Redirect::to(&payment.cashier_url).into_response()
        }
        Err(error) => {
            tracing::warn!(%error, "shop: unipay did not create the payment");
            message(
                &shop,
                StatusCode::BAD_GATEWAY,
                "下单失败 Could not create the payment",
                &error.to_string(),
            )
        }
    }
}

async fn return_page(State(shop): State<Arc<Shop>>, RawQuery(query): RawQuery) -> Response {
    let query = query.unwrap_or_default();
    match unipay_client::verify_return_query(&shop.config.secret, &query) {
        Ok(pairs) => {
            let get = |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.as_str())
                    .unwrap_or("")
            };
            let status = get("status");
            let amount = get("amount")
                .parse::<i64>()
                .map(|fen| format!("¥ {}", format_yuan(fen)))
                .unwrap_or_default();
            let headline = match status {
                "succeeded" => "支付成功，谢谢！ Paid — thank you!",
                "failed" => "支付失败 The payment failed",
                "closed" => "订单已关闭 The payment was closed",
                _ => "支付处理中 The payment is being processed",
            };
            let body = format!(
                "<p class=\"ok\">✓ 签名已验证 Signature verified</p>\
                 <p class=\"status\">{}</p>{}\
                 <p class=\"meta\">The shop trusts this page because unipay signed the link with the app's secret. \
                 The server notification on <a href=\"/notifications\">Notifications</a> is what a real shop would fulfil on.</p>",
                escape(headline),
                table(&[
                    ("支付单 Payment", get("payment_id")),
                    ("订单号 Order", get("out_trade_no")),
                    ("状态 Status", status),
                    ("金额 Amount", &amount),
                ]),
            );
            page(&shop, StatusCode::OK, "支付结果 Payment result", "", &body)
        }
        Err(error) => {
            let body = format!(
                "<p class=\"bad\">✗ 签名无效 Signature invalid: {}</p>\
                 <p>This link was not signed by unipay for this shop; its result is not believed.</p>",
                escape(&error.to_string())
            );
            page(
                &shop,
                StatusCode::BAD_REQUEST,
                "支付结果 Payment result",
                "",
                &body,
            )
        }
    }
}

async fn notify(State(shop): State<Arc<Shop>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let now = chrono::Local::now();
    let signature = headers
        .get("unipay-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let verified = unipay_client::verify_notification(
        &shop.config.secret,
        signature,
        &body,
        now.timestamp(),
        SIGNATURE_TOLERANCE_S,
    );
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let received = Received {
        event_id: text(&value["id"]),
        event_type: text(&value["type"]),
        payment_id: text(&value["data"]["id"]),
        out_trade_no: text(&value["data"]["out_trade_no"]),
        status: text(&value["data"]["status"]),
        amount: value["data"]["amount"].as_i64(),
        received_at: now.format("%Y-%m-%d %H:%M:%S").to_string(),
        signature_error: verified.as_ref().err().map(ToString::to_string),
    };
    tracing::info!(event_id = %received.event_id, event_type = %received.event_type,
        payment_id = %received.payment_id, verified = verified.is_ok(), "shop: notification");
    let Ok(mut book) = shop.received.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR;
    };
    // unipay retries until it is acknowledged, with the same event id: a verified event seen
    // before is acknowledged again but shown once.
    let seen = verified.is_ok()
        && book
            .iter()
            .any(|r| r.signature_error.is_none() && r.event_id == received.event_id);
    if !seen {
        book.push(received);
        if book.len() > MAX_NOTIFICATIONS {
            book.remove(0);
        }
    }
    // Listed either way, so the page shows forgeries, but only a verified one is acknowledged.
    if verified.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    }
}

async fn notifications(State(shop): State<Arc<Shop>>) -> Response {
    let rows = match shop.received.lock() {
        Ok(book) => book
            .iter()
            .rev()
            .map(|r| {
                let verified = match &r.signature_error {
                    None => "<td class=\"ok\">✓ verified</td>".to_string(),
                    Some(error) => format!("<td class=\"bad\">✗ {}</td>", escape(error)),
                };
                format!(
                    "<tr><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td>{verified}</tr>",
                    escape(&r.received_at),
                    escape(&r.event_type),
                    escape(&r.payment_id),
                    escape(&r.out_trade_no),
                    escape(&r.status),
                    r.amount.map(format_yuan).unwrap_or_default(),
                )
            })
            .collect::<String>(),
        Err(_) => String::new(),
    };
    let table = if rows.is_empty() {
        "<p class=\"meta\">还没有通知 No notifications yet. Pay for something on the \
         <a href=\"/\">shop</a>; unipay sends the result here within a second or two.</p>"
            .to_string()
    } else {
        format!(
            "<table class=\"list\"><tr><th>时间 Time</th><th>类型 Type</th><th>支付单 Payment</th>\
             <th>订单号 Order</th><th>状态 Status</th><th>金额 Amount (¥)</th><th>签名 Signature</th></tr>{rows}</table>"
        )
    };
    let body = format!(
        "<p class=\"meta\">Signed server notifications unipay sent to this shop's <code>/notify</code>, \
         newest first; this page reloads every 2 s.</p>{table}"
    );
    let mut response = page(
        &shop,
        StatusCode::OK,
        "收到的通知 Notifications received",
        "<meta http-equiv=\"refresh\" content=\"2\">",
        &body,
    );
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

fn message(shop: &Shop, status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<p>{}</p><p><a href=\"/\">返回商店 Back to the shop</a></p>",
        escape(text)
    );
    page(shop, status, title, "", &body)
}

/// A whole page with the links between the demo's parts; `head_extra` and `body` are HTML
/// already escaped by the caller.
fn page(shop: &Shop, status: StatusCode, title: &str, head_extra: &str, body: &str) -> Response {
    let title = escape(title);
    let unipay = escape(&shop.config.unipay_url);
    let bank = escape(&shop.config.bank_url);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title>{head_extra}<style>{STYLE}</style></head><body>\
         <nav><a href=\"/\">商店 Shop</a> · <a href=\"/notifications\">通知 Notifications</a> · \
         <a href=\"{unipay}/metrics\">unipay metrics</a> · <a href=\"{unipay}/healthz\">unipay health</a> · \
         <a href=\"{bank}/sim/health\">banksim</a></nav>\
         <h1>{title}</h1>{body}\
         <footer>unipay demo · 演示商店 a business system selling through unipay</footer></body></html>\n"
    );
    (status, Html(html)).into_response()
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:52em;margin:1.5em auto;padding:0 1em;color:#222}\
nav{font-size:.9em;margin-bottom:1em}nav a{color:#0550ae}\
.card{border:1px solid #ddd;border-radius:8px;padding:1em 1.5em;max-width:30em}\
button{margin-left:1em;padding:.4em 1.5em;font-size:1em}\
table{border-collapse:collapse}th,td{text-align:left;padding:.25em .8em .25em 0;vertical-align:top}\
table.list td,table.list th{border-bottom:1px solid #eee}\
.ok{color:#1a7f37;font-weight:bold}.bad{color:#cf222e;font-weight:bold}\
.status{font-size:1.2em}.meta{color:#666;font-size:.9em}footer{margin-top:3em;color:#999;font-size:.8em}";

/// A `<table>` of label/value rows, all escaped.
fn table(rows: &[(&str, &str)]) -> String {
    let mut out = String::from("<table>");
    for (label, value) in rows {
        out.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label),
            escape(value)
        ));
    }
    out.push_str("</table>");
    out
}

/// Escapes text for element content and double-quoted attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
