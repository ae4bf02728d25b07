//! The demo's business system: a one-product shop that sells through unipay. It creates a
//! payment without naming a bank and sends the browser to the cashier (where the consumer
//! chooses ABC or UnionPay), checks the signed return link, and keeps the signed notifications
//! it receives in memory to show them.

use askama::Template;
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
use unipay_core::money::{Amount, display_yuan, parse_yuan_to_fen};

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
    /// The bank the consumer paid through (`abc`, `unionpay`), as the payment names it.
    channel: String,
    status: String,
    amount: Option<i64>,
    received_at: String,
    /// `None` when the signature verified, else why not.
    signature_error: Option<String>,
}

impl Received {
    fn amount_yuan(&self) -> String {
        self.amount.map(display_yuan).unwrap_or_default()
    }
}

struct Shop {
    config: ShopConfig,
    client: Client,
    received: Mutex<Vec<Received>>,
}

/// What every page's frame shows: its title and the links to the demo's other parts.
struct Layout<'a> {
    title: &'a str,
    unipay_url: &'a str,
    bank_url: &'a str,
}

impl Shop {
    fn layout<'a>(&'a self, title: &'a str) -> Layout<'a> {
        Layout {
            title,
            unipay_url: &self.config.unipay_url,
            bank_url: &self.config.bank_url,
        }
    }
}

#[derive(Template)]
#[template(path = "shop/index.html")]
struct IndexPage<'a> {
    layout: Layout<'a>,
    product: &'a str,
    default_amount: &'a str,
    app_id: &'a str,
}

#[derive(Template)]
#[template(path = "shop/return.html")]
struct ReturnPage<'a> {
    layout: Layout<'a>,
    headline: &'a str,
    payment_id: &'a str,
    out_trade_no: &'a str,
    status: &'a str,
    amount: &'a str,
}

#[derive(Template)]
#[template(path = "shop/return_refused.html")]
struct ReturnRefusedPage<'a> {
    layout: Layout<'a>,
    error: &'a str,
}

#[derive(Template)]
#[template(path = "shop/notifications.html")]
struct NotificationsPage<'a> {
    layout: Layout<'a>,
    /// Newest first.
    received: Vec<&'a Received>,
}

#[derive(Template)]
#[template(path = "shop/message.html")]
struct MessagePage<'a> {
    layout: Layout<'a>,
    text: &'a str,
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
    render(
        StatusCode::OK,
        &IndexPage {
            layout: shop.layout("演示商店 Demo shop"),
            product: PRODUCT,
            default_amount: DEFAULT_AMOUNT,
            app_id: &shop.config.app_id,
        },
    )
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

const RETURN_TITLE: &str = "支付结果 Payment result";

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
                .map(|fen| format!("¥ {}", display_yuan(fen)))
                .unwrap_or_default();
            let headline = match status {
                "succeeded" => "支付成功，谢谢！ Paid — thank you!",
                "failed" => "支付失败 The payment failed",
                "closed" => "订单已关闭 The payment was closed",
                _ => "支付处理中 The payment is being processed",
            };
            render(
                StatusCode::OK,
                &ReturnPage {
                    layout: shop.layout(RETURN_TITLE),
                    headline,
                    payment_id: get("payment_id"),
                    out_trade_no: get("out_trade_no"),
                    status,
                    amount: &amount,
                },
            )
        }
        Err(error) => render(
            StatusCode::BAD_REQUEST,
            &ReturnRefusedPage {
                layout: shop.layout(RETURN_TITLE),
                error: &error.to_string(),
            },
        ),
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
        channel: text(&value["data"]["channel"]),
        status: text(&value["data"]["status"]),
        amount: value["data"]["amount"].as_i64(),
        // Beijing time, labelled, as the console shows it (not this machine's own zone).
        received_at: unipay_core::calendar::beijing(now.timestamp_millis())
            .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC+8").to_string())
            .unwrap_or_default(),
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
    let book = shop.received.lock();
    // A poisoned lock (a panic while pushing) shows an empty list rather than no page.
    let received = match &book {
        Ok(book) => book.iter().rev().collect(),
        Err(_) => Vec::new(),
    };
    let mut response = render(
        StatusCode::OK,
        &NotificationsPage {
            layout: shop.layout("收到的通知 Notifications received"),
            received,
        },
    );
    drop(book);
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}

fn message(shop: &Shop, status: StatusCode, title: &str, text: &str) -> Response {
    render(
        status,
        &MessagePage {
            layout: shop.layout(title),
            text,
        },
    )
}

/// A page, or a bare 500 when its template fails (it is checked at compile time, so only a
/// formatting error could make it fail).
fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "shop: template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text from outside (a bank's error, a notification's fields) cannot inject markup.
    #[test]
    fn pages_escape_what_they_show() {
        let layout = Layout {
            title: "<t>",
            unipay_url: "http://u\"x",
            bank_url: "http://b",
        };
        let html = MessagePage {
            layout,
            text: "<script>alert('&')</script>",
        }
        .render()
        .unwrap();
        assert!(html.contains("<h1>&#60;t&#62;</h1>"), "{html}");
        assert!(
            html.contains("<p>&#60;script&#62;alert(&#39;&#38;&#39;)&#60;/script&#62;</p>"),
            "{html}"
        );
        assert!(html.contains("href=\"http://u&#34;x/metrics\""), "{html}");
    }
}
