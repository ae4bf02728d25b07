//! The consumer's K-code page (PaymentURL of a KPayVerifyReq answer): the bill, and a form to
//! pay it with the texted code, judged exactly as a KPayReq's code is. Nobody is notified of
//! the result (a K-code bill gives no URL): the merchant learns it by Query.

use crate::book::Status;
use crate::html::{Rows, message_page, render};
use crate::state::SimState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use unipay_core::money::format_yuan;

/// The page (PaymentURL).
pub const KPAY_PAGE_PATH: &str = "/ebus/KPayAct.ebf";
/// Where its form posts (`TOKEN`, `code`).
pub const KPAY_ACTION_PATH: &str = "/sim/kcode/consumer";

const TITLE: &str = "K码支付 / Pay with your K-code";

#[derive(Template)]
#[template(path = "kcode_pay.html")]
struct KcodePage<'a> {
    title: &'a str,
    rows: Rows,
    action_path: &'a str,
    token: &'a str,
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

/// The bill behind a token: its order, merchant, number and whether it is still to pay.
fn bill(
    sim: &SimState,
    token: &str,
) -> Option<(crate::book::OrderId, String, String, i64, Status)> {
    let book = sim.orders();
    let id = book.find_by_token(token)?;
    let order = book.get(id)?;
    Some((
        id,
        order.merchant_id.to_string(),
        order.order_no.to_string(),
        order.amount_fen,
        order.status,
    ))
}

/// `GET /ebus/KPayAct.ebf?TOKEN=…`
pub async fn kcode_page(State(sim): State<SimState>, RawQuery(query): RawQuery) -> Response {
    let token = query
        .as_deref()
        .and_then(|query| form_value(query.as_bytes(), "TOKEN"))
        .unwrap_or_default();
    let Some((_, merchant_id, order_no, amount_fen, status)) = bill(&sim, &token) else {
        return invalid_link();
    };
    if status != Status::Unpaid {
        return message_page(StatusCode::OK, TITLE, "已处理 / Already settled.");
    }
    render(
        StatusCode::OK,
        &KcodePage {
            title: TITLE,
            rows: vec![
                ("商户号 Merchant", merchant_id),
                ("订单号 Order", order_no),
                ("金额 Amount", format!("¥{}", format_yuan(amount_fen))),
            ],
            action_path: KPAY_ACTION_PATH,
            token: &token,
        },
    )
}

/// `POST /sim/kcode/consumer` (form: `TOKEN`, `code`).
pub async fn kcode_action(State(sim): State<SimState>, body: Bytes) -> Response {
    let token = form_value(&body, "TOKEN").unwrap_or_default();
    let code = form_value(&body, "code").unwrap_or_default();
    let Some((id, merchant_id, order_no, _, status)) = bill(&sim, &token) else {
        return invalid_link();
    };
    if status != Status::Unpaid {
        return message_page(StatusCode::OK, TITLE, "已处理 / Already settled.");
    }
    match super::pay_with_code(&sim, &merchant_id, &order_no, id, code.trim()) {
        Ok(_) => message_page(StatusCode::OK, TITLE, "支付成功 / Paid."),
        Err((_, text)) => message_page(StatusCode::OK, TITLE, &text),
    }
}
