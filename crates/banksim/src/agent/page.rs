//! The customer's signing page behind SignURL, and their decision: agree (with the card to
//! debit) or refuse. The decision is reported as the payment result is: server to server with
//! retries, or by an auto-posting form in the browser.

use super::SIGN_REFUSED;
use super::book::{SignStatus, Signing};
use super::notify;
use crate::clock::{now_china, protocol_date, protocol_time};
use crate::html::{Rows, message_page, render};
use crate::state::SimState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use unipay_core::masking::mask_card;

/// The signing page (SignURL).
pub const SIGN_PAGE_PATH: &str = "/ebus/AgentSignAct.ebf";
/// Where the signing page's buttons post.
pub const SIGN_ACTION_PATH: &str = "/sim/agent/consumer";

const RESULT_TITLE: &str = "签约结果 / Signing result";

#[derive(Template)]
#[template(path = "agent_sign.html")]
struct SignPage<'a> {
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

fn form_value(text: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(text)
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn invalid_link() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "签约链接无效",
        "This signing link is unknown or has expired.",
    )
}

fn rows(signing: &Signing) -> Rows {
    vec![
        ("商户号 Merchant", signing.merchant_id.clone()),
        ("协议号 Signing", signing.order_no.clone()),
        ("证件号 Certificate", signing.certificate_masked.clone()),
        ("有效期至 Valid until", signing.expired_date.clone()),
    ]
}

fn signing_by_token(sim: &SimState, token: Option<&str>) -> Option<Signing> {
    let book = sim.mandates();
    let key = book.by_token.get(token?)?;
    book.signings.get(key).cloned()
}

/// `GET /ebus/AgentSignAct.ebf?TOKEN=…`
pub async fn sign_page(State(sim): State<SimState>, RawQuery(query): RawQuery) -> Response {
    let token = query
        .as_deref()
        .and_then(|query| form_value(query.as_bytes(), "TOKEN"));
    let Some(signing) = signing_by_token(&sim, token.as_deref()) else {
        return invalid_link();
    };
    if signing.status != SignStatus::Pending {
        return message_page(StatusCode::OK, RESULT_TITLE, "已处理 / Already decided.");
    }
    render(
        StatusCode::OK,
        &SignPage {
            title: "授权支付签约 / Sign a debit mandate",
            rows: rows(&signing),
            action_path: SIGN_ACTION_PATH,
            token: token.as_deref().unwrap_or_default(),
        },
    )
}

/// `POST /sim/agent/consumer` (form: `TOKEN`, `action` = `agree` | `refuse`, `card_no`).
pub async fn sign_action(State(sim): State<SimState>, body: Bytes) -> Response {
    let token = form_value(&body, "TOKEN");
    let agree = match form_value(&body, "action").as_deref() {
        Some("agree") => true,
        Some("refuse") => false,
        _ => {
            return message_page(
                StatusCode::BAD_REQUEST,
                "请求无效",
                "action must be agree or refuse.",
            );
        }
    };
    let card_no = form_value(&body, "card_no").unwrap_or_default();
    let card_ok = (12..=19).contains(&card_no.len()) && card_no.bytes().all(|b| b.is_ascii_digit());
    if agree && !card_ok {
        return message_page(
            StatusCode::BAD_REQUEST,
            "卡号无效",
            "The card number must be 12 to 19 digits.",
        );
    }
    let (decided, lose) = {
        let mut book = sim.mandates();
        let lose = book.faults.lose_sign_results;
        let Some(key) = token.as_ref().and_then(|t| book.by_token.get(t)).cloned() else {
            return invalid_link();
        };
        let agent_sign_no = format!("AS{}", sim.serials.bank_serial());
        let Some(signing) = book.signings.get_mut(&key) else {
            return invalid_link();
        };
        if signing.status != SignStatus::Pending {
            return message_page(StatusCode::OK, RESULT_TITLE, "已处理 / Already decided.");
        }
        let now = now_china();
        signing.host_date = protocol_date(now.date_naive());
        signing.host_time = protocol_time(now);
        if agree {
            signing.status = SignStatus::Active;
            signing.card_no = card_no;
            signing.agent_sign_no = agent_sign_no.clone();
        } else {
            signing.status = SignStatus::Failed;
            signing.failure = Some(SIGN_REFUSED);
        }
        let decided = signing.clone();
        if agree {
            book.by_sign_no.insert(
                (decided.merchant_id.clone(), agent_sign_no),
                decided.order_no.clone(),
            );
        }
        (decided, lose)
    };
    let mut rows = rows(&decided);
    rows.insert(
        0,
        (
            "结果 Result",
            if agree {
                "签约成功 / Signed"
            } else {
                "已拒绝 / Refused"
            }
            .to_string(),
        ),
    );
    if agree {
        rows.push(("银行卡 Card", mask_card(&decided.card_no)));
    }
    if lose {
        // The decision stands at the bank; the merchant hears of it only by asking.
        tracing::info!(order_no = %decided.order_no, "signing result lost by the fault");
        return message_page(StatusCode::OK, RESULT_TITLE, "已完成 / Done.");
    }
    if decided.notify_type == "0" {
        let msg = notify::signed(&sim, &decided, "0");
        return render(
            StatusCode::OK,
            &AutoPostPage {
                title: RESULT_TITLE,
                rows,
                notify_url: &decided.notify_url,
                msg: &msg,
                label: "返回商户 / Return to merchant",
            },
        );
    }
    notify::spawn_server(sim.clone(), decided);
    message_page(
        StatusCode::OK,
        RESULT_TITLE,
        if agree {
            "签约成功 / Signed."
        } else {
            "已拒绝 / Refused."
        },
    )
}
