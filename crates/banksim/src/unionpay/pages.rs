//! The payer's pages: the payment page (pay or decline), and the page that carries the front
//! notification to `frontUrl`, self-submitting as UnionPay's own does, with a button for a
//! browser that runs no script.

use super::book::Transaction;
use super::form::Message;
use super::front::PAYER_ACTION_PATH;
use super::state::Inner;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

pub use crate::html::message_page;

/// Text made safe for HTML text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub fn payment_page(sim: &Inner, token: &str, transaction: &Transaction) -> Response {
    let action = format!("{}{PAYER_ACTION_PATH}", sim.public_url);
    let kind = if transaction.txn_type == super::book::PREAUTH {
        "预授权"
    } else {
        "消费"
    };
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"UTF-8\"><title>银联在线支付</title></head><body>\
<h1>银联在线支付 · {kind}</h1>\
<table><tr><th>商户代码</th><td id=\"merId\">{mer_id}</td></tr>\
<tr><th>订单号</th><td id=\"orderId\">{order_id}</td></tr>\
<tr><th>金额</th><td id=\"amount\">¥{amount}</td></tr></table>\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\">\
<button type=\"submit\" name=\"decision\" value=\"pay\">确认付款</button>\
<button type=\"submit\" name=\"decision\" value=\"decline\">取消支付</button>\
</form></body></html>",
        mer_id = escape(&transaction.mer_id),
        order_id = escape(&transaction.order_id),
        amount = yuan(transaction.amount_fen),
        action = escape(&action),
        token = escape(token),
    );
    (StatusCode::OK, Html(html)).into_response()
}

pub fn front_notification_page(title: &str, front_url: &str, message: &Message) -> Response {
    let inputs: String = message
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"UTF-8\"><title>{title}</title></head><body>\
<h1>{title}</h1>\
<form id=\"front_notify\" method=\"post\" action=\"{action}\">{inputs}\
<button type=\"submit\">返回商户</button></form>\
<script>document.getElementById(\"front_notify\").submit();</script>\
</body></html>",
        title = escape(title),
        action = escape(front_url),
    );
    (StatusCode::OK, Html(html)).into_response()
}
