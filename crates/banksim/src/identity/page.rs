//! The customer's page behind VerifyURL and their decision (confirm or cancel); then the
//! `IdentityVerifyResult` MSG to ResultNotifyURL, server to server, retried on the notification
//! schedule until the merchant answers `200` with `<URL>`.

use super::{REFUSED, Verification};
use crate::clock::{now_china, protocol_date, protocol_time};
use crate::delivery::{form_body, result_url};
use crate::html::{Rows, message_page, render};
use crate::state::{Inner, SimState};
use crate::wire::{gbk_only, names, notification, xml};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use unipay_core::masking::{mask_card, mask_id};

/// The verification page (VerifyURL).
pub const VERIFY_PAGE_PATH: &str = "/ebus/IdentityVerifyAct.ebf";
/// Where the page's buttons post.
pub const VERIFY_ACTION_PATH: &str = "/sim/identity/consumer";

const RESULT_TITLE: &str = "身份验证 / Identity verification";

#[derive(Template)]
#[template(path = "identity_verify.html")]
struct VerifyPage<'a> {
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
        "验证链接无效",
        "This verification link is unknown or has expired.",
    )
}

/// `GET /ebus/IdentityVerifyAct.ebf?TOKEN=…`
pub async fn verify_page(State(sim): State<SimState>, RawQuery(query): RawQuery) -> Response {
    let token = query
        .as_deref()
        .and_then(|query| form_value(query.as_bytes(), "TOKEN"))
        .unwrap_or_default();
    let Some(verification) = sim.identity.lock().verifications.get(&token).cloned() else {
        return invalid_link();
    };
    if verification.verdict.is_some() {
        return message_page(StatusCode::OK, RESULT_TITLE, "已处理 / Already decided.");
    }
    render(
        StatusCode::OK,
        &VerifyPage {
            title: RESULT_TITLE,
            rows: vec![
                ("商户号 Merchant", verification.merchant_id.clone()),
                ("银行卡 Card", mask_card(&verification.card_no)),
                ("证件号 Certificate", mask_id(&verification.certificate_no)),
            ],
            action_path: VERIFY_ACTION_PATH,
            token: &token,
        },
    )
}

/// `POST /sim/identity/consumer` (form: `TOKEN`, `action` = `confirm` | `refuse`).
pub async fn verify_action(State(sim): State<SimState>, body: Bytes) -> Response {
    let token = form_value(&body, "TOKEN").unwrap_or_default();
    let confirm = match form_value(&body, "action").as_deref() {
        Some("confirm") => true,
        Some("refuse") => false,
        _ => {
            return message_page(
                StatusCode::BAD_REQUEST,
                "请求无效",
                "action must be confirm or refuse.",
            );
        }
    };
    sim.touch();
    let decided = {
        let mut desk = sim.identity.lock();
        let Some(pending) = desk.verifications.get(&token).cloned() else {
            return invalid_link();
        };
        if pending.verdict.is_some() {
            return message_page(StatusCode::OK, RESULT_TITLE, "已处理 / Already decided.");
        }
        let verdict = if confirm {
            desk.judge(
                &pending.card_no,
                &pending.certificate_type,
                &pending.certificate_no,
                None,
            )
        } else {
            REFUSED
        };
        let account_name = desk.account_name(&pending.card_no);
        let now = now_china();
        let Some(verification) = desk.verifications.get_mut(&token) else {
            return invalid_link();
        };
        verification.verdict = Some(verdict);
        if verdict.0 == crate::codes::SUCCESS.0 {
            verification.account_name = account_name;
        }
        verification.host_date = protocol_date(now.date_naive());
        verification.host_time = protocol_time(now);
        verification.clone()
    };
    let key = token.clone();
    let state = sim.clone();
    tokio::spawn(async move { deliver_server(&state, &key, &decided).await });
    let text = if confirm {
        "已提交 / Submitted."
    } else {
        "已取消 / Cancelled."
    };
    message_page(StatusCode::OK, RESULT_TITLE, text)
}

/// M: read by the bank's client as a payment result (`AccountName`); the card and
/// certificate numbers echoed so that the merchant can check them against its verification.
pub fn message_xml(verification: &Verification) -> String {
    let (code, text) = verification.verdict.unwrap_or(REFUSED);
    xml::result_message(&[
        (names::RETURN_CODE, code),
        (names::ERROR_MESSAGE, text),
        (names::EC_MERCHANT_TYPE, "EBUS"),
        (names::MERCHANT_ID, &verification.merchant_id),
        (names::TRX_TYPE, names::IDENTITY_RESULT_TRX_TYPE),
        ("AccountName", &gbk_only(&verification.account_name)),
        (names::BANK_CARD_NO, &verification.card_no),
        (names::CERTIFICATE_NO, &verification.certificate_no),
        (names::HOST_DATE, &verification.host_date),
        (names::HOST_TIME, &verification.host_time),
    ])
}

/// The `MSG` value (base64, not yet form-encoded).
pub fn signed(sim: &Inner, verification: &Verification) -> String {
    notification::seal(&message_xml(verification), &sim.key, sim.algorithm)
}

async fn deliver_server(sim: &Inner, token: &str, verification: &Verification) {
    let body = form_body(&signed(sim, verification));
    for wait in &sim.notify_schedule {
        if !sim.sleep(*wait).await {
            return;
        }
        let Ok(_permit) = sim.deliveries.acquire().await else {
            return;
        };
        let sent = sim
            .http
            .post(&verification.notify_url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .send()
            .await;
        let acknowledged = match sent {
            Ok(response) if response.status().as_u16() == 200 => response
                .text()
                .await
                .ok()
                .and_then(|text| result_url(&text))
                .is_some(),
            _ => false,
        };
        if let Some(v) = sim.identity.lock().verifications.get_mut(token) {
            v.notify_attempts = v.notify_attempts.saturating_add(1);
            v.notify_acknowledged |= acknowledged;
        }
        if acknowledged {
            return;
        }
    }
    tracing::info!(merchant_id = %verification.merchant_id, "identity result never acknowledged; schedule exhausted");
}
