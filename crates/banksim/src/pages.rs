//! The consumer's side: the payment page behind PaymentURL, the pay/decline action, and what the
//! browser sees afterwards (an auto-posting form in page mode, the merchant's page or the bank's
//! result page in server mode).

use crate::book::{NotifyType, OrderId};
use crate::delivery;
use crate::html::{escape, message_page, page, table};
use crate::notify_msg;
use crate::settle::{Notice, Outcome, SettleError, settle};
use crate::state::SimState;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::time::Duration;
use tokio::sync::oneshot;
use unipay_core::money::format_yuan;

/// Where the payment page's buttons post.
pub const ACTION_PATH: &str = "/sim/consumer";

/// How much longer than one merchant call the consumer's page waits for the first server
/// notification before it shows the bank's own result page.
const FIRST_NOTIFY_GRACE: Duration = Duration::from_secs(2);

fn form_value(text: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(text)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn invalid_link() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "支付链接无效",
        "This payment link is unknown or has expired.",
    )
}

fn order_by_token(sim: &SimState, token: Option<&str>) -> Option<OrderId> {
    token.and_then(|token| sim.orders().find_by_token(token))
}

/// `GET /ebus/PaymentModeNewAct.ebf?TOKEN=…`
pub async fn payment_page(State(sim): State<SimState>, RawQuery(query): RawQuery) -> Response {
    let token = query
        .as_deref()
        .and_then(|query| form_value(query.as_bytes(), "TOKEN"));
    let Some(id) = order_by_token(&sim, token.as_deref()) else {
        return invalid_link();
    };
    // Copy what the page shows, then let go of the lock.
    let (rows, notice) = {
        let book = sim.orders();
        let Some(order) = book.get(id) else {
            return invalid_link();
        };
        let rows = [
            ("商户号 Merchant".to_string(), order.merchant_id.to_string()),
            ("订单号 Order".to_string(), order.order_no.to_string()),
            (
                "金额 Amount".to_string(),
                format!("¥{}", format_yuan(order.amount_fen)),
            ),
        ];
        (rows, Notice::of(id, order))
    };
    if let Some(notice) = notice {
        return result_page(&sim, &notice, "");
    }
    let rows: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let token = escape(token.as_deref().unwrap_or_default());
    let body = format!(
        "{}<form method=\"post\" action=\"{ACTION_PATH}\"><input type=\"hidden\" name=\"TOKEN\" value=\"{token}\">\
         <button type=\"submit\" name=\"action\" value=\"pay\">支付 / Pay</button>\
         <button type=\"submit\" name=\"action\" value=\"decline\">拒绝 / Decline</button></form>",
        table(&rows)
    );
    page(StatusCode::OK, "订单支付 / Pay your order", "", &body)
}

/// `POST /sim/consumer` (form: `TOKEN`, `action` = `pay` | `decline`).
pub async fn consumer_action(State(sim): State<SimState>, body: Bytes) -> Response {
    let token = form_value(&body, "TOKEN");
    let outcome = match form_value(&body, "action").as_deref() {
        Some("pay") => Outcome::Success,
        Some("decline") => Outcome::Decline,
        _ => {
            return message_page(
                StatusCode::BAD_REQUEST,
                "请求无效",
                "action must be pay or decline.",
            );
        }
    };
    let Some(id) = order_by_token(&sim, token.as_deref()) else {
        return invalid_link();
    };
    let notice = match settle(&sim, id, outcome) {
        Ok((notice, true)) => notice,
        // Pressed twice, or the order was settled elsewhere: show where it stands.
        Ok((notice, false)) => return result_page(&sim, &notice, ""),
        Err(SettleError::NotFound) => return invalid_link(),
        Err(SettleError::Conflict(_)) => {
            let current = sim.orders().get(id).and_then(|order| Notice::of(id, order));
            return match current {
                Some(notice) => result_page(
                    &sim,
                    &notice,
                    "订单已处理 / This order was already settled.",
                ),
                None => invalid_link(),
            };
        }
    };
    match notice.notify_type {
        NotifyType::Page => auto_post_page(&sim, &notice),
        NotifyType::Server => {
            let (sender, receiver) = oneshot::channel();
            delivery::spawn_server(sim.clone(), notice.clone(), Some(sender));
            // A first attempt scheduled later than a browser would wait is not waited for.
            let first_wait = sim.notify_schedule.first().copied().unwrap_or_default();
            let patience =
                first_wait.min(FIRST_NOTIFY_GRACE) + sim.merchant_timeout + FIRST_NOTIFY_GRACE;
            match tokio::time::timeout(patience, receiver).await {
                Ok(Ok(Some(url))) if is_web_url(&url) => redirect_page(&url),
                _ => result_page(&sim, &notice, ""),
            }
        }
    }
}

fn is_web_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https"))
}

/// A form that posts `MSG` to ResultNotifyURL; the browser percent-encodes `+`, `/` and `=`.
fn notify_form(sim: &SimState, notice: &Notice, id: &str, label: &str) -> String {
    let msg = notify_msg::signed(sim, notice, NotifyType::Page);
    format!(
        "<form id=\"{id}\" method=\"post\" action=\"{}\" enctype=\"application/x-www-form-urlencoded\">\
         <input type=\"hidden\" name=\"MSG\" value=\"{}\"><button type=\"submit\">{}</button></form>",
        escape(&notice.notify_url),
        escape(&msg),
        escape(label)
    )
}

fn summary(notice: &Notice) -> String {
    let payment = &notice.payment;
    let result = match notice.outcome {
        Outcome::Success => "支付成功 / Paid",
        Outcome::Decline => "支付失败 / Declined",
    };
    table(&[
        ("结果 Result", result),
        ("商户号 Merchant", &notice.merchant_id),
        ("订单号 Order", &notice.order_no),
        (
            "金额 Amount",
            &format!("¥{}", format_yuan(notice.amount_fen)),
        ),
        ("银行流水号 Bank serial", &payment.i_rsp_ref),
        (
            "时间 Time",
            &format!("{} {}", payment.host_date, payment.host_time),
        ),
    ])
}

/// Page mode: the result goes to the merchant through the browser, at once.
fn auto_post_page(sim: &SimState, notice: &Notice) -> Response {
    let body = format!(
        "{}<p>正在返回商户… / Returning to the merchant…</p>{}\
         <script>document.getElementById('notify').submit();</script>",
        summary(notice),
        notify_form(sim, notice, "notify", "返回商户 / Return to merchant")
    );
    page(StatusCode::OK, "支付结果 / Payment result", "", &body)
}

/// The bank's own result page, with the button that sends the result to the merchant again.
fn result_page(sim: &SimState, notice: &Notice, note: &str) -> Response {
    let label = match notice.outcome {
        Outcome::Success => "【通知商户支付成功】",
        Outcome::Decline => "【通知商户支付结果】",
    };
    let note = if note.is_empty() {
        String::new()
    } else {
        format!("<p>{}</p>", escape(note))
    };
    let body = format!(
        "{note}{}{}",
        summary(notice),
        notify_form(sim, notice, "notify", label)
    );
    page(StatusCode::OK, "支付结果 / Payment result", "", &body)
}

/// Server mode, merchant acknowledged: send the consumer to the merchant's page.
fn redirect_page(url: &str) -> Response {
    let url = escape(url);
    let head = format!("<meta http-equiv=\"refresh\" content=\"0;url={url}\">");
    let body = format!("<p><a href=\"{url}\">返回商户 / Return to merchant</a></p>");
    page(StatusCode::OK, "支付结果 / Payment result", &head, &body)
}
