//! The consumer's side: the payment page behind PaymentURL, the pay/decline action, and what the
//! browser sees afterwards (an auto-posting form in page mode, the merchant's page or the bank's
//! result page in server mode).

use crate::book::{NotifyType, OrderId};
use crate::delivery;
use crate::html::{Rows, message_page, render};
use crate::notify_msg;
use crate::settle::{Notice, Outcome, SettleError, settle};
use crate::state::SimState;
use askama::Template;
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

const RESULT_TITLE: &str = "支付结果 / Payment result";

#[derive(Template)]
#[template(path = "payment.html")]
struct PaymentPage<'a> {
    title: &'a str,
    rows: Rows,
    action_path: &'a str,
    token: &'a str,
}

/// Page mode: shows the result and posts it to the merchant at once.
#[derive(Template)]
#[template(path = "auto_post.html")]
struct AutoPostPage<'a> {
    title: &'a str,
    rows: Rows,
    notify_url: &'a str,
    msg: &'a str,
    label: &'a str,
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage<'a> {
    title: &'a str,
    note: Option<&'a str>,
    rows: Rows,
    notify_url: &'a str,
    msg: &'a str,
    label: &'a str,
}

#[derive(Template)]
#[template(path = "redirect.html")]
struct RedirectPage<'a> {
    title: &'a str,
    url: &'a str,
}

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
        let rows = vec![
            ("商户号 Merchant", order.merchant_id.to_string()),
            ("订单号 Order", order.order_no.to_string()),
            ("金额 Amount", format!("¥{}", format_yuan(order.amount_fen))),
        ];
        (rows, Notice::of(id, order))
    };
    if let Some(notice) = notice {
        return result_page(&sim, &notice, "");
    }
    let page = PaymentPage {
        title: "订单支付 / Pay your order",
        rows,
        action_path: ACTION_PATH,
        token: token.as_deref().unwrap_or_default(),
    };
    render(StatusCode::OK, &page)
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
        NotifyType::None => result_page(&sim, &notice, ""),
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

fn summary(notice: &Notice) -> Rows {
    let payment = &notice.payment;
    let result = match notice.outcome {
        Outcome::Success => "支付成功 / Paid",
        Outcome::Decline => "支付失败 / Declined",
    };
    vec![
        ("结果 Result", result.to_string()),
        ("商户号 Merchant", notice.merchant_id.to_string()),
        ("订单号 Order", notice.order_no.to_string()),
        (
            "金额 Amount",
            format!("¥{}", format_yuan(notice.amount_fen)),
        ),
        ("银行流水号 Bank serial", payment.i_rsp_ref.to_string()),
        (
            "时间 Time",
            format!("{} {}", payment.host_date, payment.host_time),
        ),
    ]
}

/// Page mode: the result goes to the merchant through the browser, at once.
fn auto_post_page(sim: &SimState, notice: &Notice) -> Response {
    let msg = notify_msg::signed(sim, notice, NotifyType::Page);
    let page = AutoPostPage {
        title: RESULT_TITLE,
        rows: summary(notice),
        notify_url: &notice.notify_url,
        msg: &msg,
        label: "返回商户 / Return to merchant",
    };
    render(StatusCode::OK, &page)
}

/// The bank's own result page, with the button that sends the result to the merchant again.
fn result_page(sim: &SimState, notice: &Notice, note: &str) -> Response {
    let label = match notice.outcome {
        Outcome::Success => "【通知商户支付成功】",
        Outcome::Decline => "【通知商户支付结果】",
    };
    let msg = notify_msg::signed(sim, notice, NotifyType::Page);
    let page = ResultPage {
        title: RESULT_TITLE,
        note: (!note.is_empty()).then_some(note),
        rows: summary(notice),
        notify_url: &notice.notify_url,
        msg: &msg,
        label,
    };
    render(StatusCode::OK, &page)
}

/// Server mode, merchant acknowledged: send the consumer to the merchant's page.
fn redirect_page(url: &str) -> Response {
    render(
        StatusCode::OK,
        &RedirectPage {
            title: RESULT_TITLE,
            url,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Proves the payment page keeps the field names the tests and browsers post back.
    #[test]
    fn payment_page_posts_token_and_action() {
        let html = PaymentPage {
            title: "t",
            rows: vec![("金额 Amount", "¥1.00".to_string())],
            action_path: ACTION_PATH,
            token: "a\"b",
        }
        .render()
        .unwrap();
        assert!(html.contains("action=\"/sim/consumer\""), "{html}");
        assert!(html.contains("name=\"TOKEN\" value=\"a&#34;b\""), "{html}");
        assert!(html.contains("name=\"action\" value=\"pay\""), "{html}");
        assert!(html.contains("name=\"action\" value=\"decline\""), "{html}");
        assert!(
            html.contains("<th>金额 Amount</th><td>¥1.00</td>"),
            "{html}"
        );
    }

    /// Proves a merchant's URL cannot break out of the refresh attribute.
    #[test]
    fn redirect_escapes_the_merchant_url() {
        let html = RedirectPage {
            title: RESULT_TITLE,
            url: "http://m/r?a=1&b=\"><script>",
        }
        .render()
        .unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("http-equiv=\"refresh\" content=\"0;url=http://m/r?a=1&#38;b="),
            "{html}"
        );
    }

    /// Proves the result page carries the resend button and the note only when there is one.
    #[test]
    fn result_page_has_the_resend_form() {
        let page = |note| ResultPage {
            title: RESULT_TITLE,
            note,
            rows: Vec::new(),
            notify_url: "http://m/n",
            msg: "ab+/=",
            label: "【通知商户支付成功】",
        };
        let html = page(None).render().unwrap();
        assert!(html.contains("action=\"http://m/n\""), "{html}");
        assert!(html.contains("name=\"MSG\" value=\"ab+/=\""), "{html}");
        assert!(html.contains("【通知商户支付成功】"), "{html}");
        assert!(!html.contains("already"), "{html}");
        let html = page(Some("already settled")).render().unwrap();
        assert!(html.contains("<p>already settled</p>"), "{html}");
    }
}
