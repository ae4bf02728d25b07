//! The customer's page behind VerifyURL and their decision (confirm or cancel); then the
//! `IdentityVerifyResult` MSG to ResultNotifyURL, server to server, retried on the notification
//! schedule until the merchant answers `200` with `<URL>`.

use super::{REFUSED, Verification};
use crate::clock::{now_china, protocol_date, protocol_time};
use crate::delivery::{form_body, result_url};
use crate::html::{Rows, message_page, render};
use crate::state::{Inner, SimState};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use unipay_channel_abc::messages::IdentityResultNotification;
use unipay_channel_abc::wire::build_notification;
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
        let now = now_china();
        let Some(verification) = desk.verifications.get_mut(&token) else {
            return invalid_link();
        };
        verification.verdict = Some(verdict);
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

/// The `MSG` value (base64, not yet form-encoded).
pub fn signed(sim: &Inner, verification: &Verification, notify_type: &str) -> String {
    let (code, text) = verification.verdict.unwrap_or(REFUSED);
    let message = IdentityResultNotification {
        return_code: code.to_string(),
        error_message: text.to_string(),
        merchant_id: verification.merchant_id.clone(),
        order_no: verification.order_no.clone(),
        // The platform echoes what it verified; the merchant must keep it masked.
        bank_card_no: verification.card_no.clone(),
        certificate_no: verification.certificate_no.clone(),
        host_date: verification.host_date.clone(),
        host_time: verification.host_time.clone(),
        notify_type: notify_type.to_string(),
    };
    build_notification(&message.to_xml(), &sim.key, sim.algorithm)
}

async fn deliver_server(sim: &Inner, token: &str, verification: &Verification) {
    let body = form_body(&signed(sim, verification, "1"));
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
    tracing::info!(order_no = %verification.order_no, "identity result never acknowledged; schedule exhausted");
}
