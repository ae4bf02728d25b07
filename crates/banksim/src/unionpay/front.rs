//! Front transactions from the payer's browser: consume (01/01) and pre-authorization
//! (02/01). The gateway verifies the merchant's form and shows the payer a page to pay or
//! decline; then the front notification rides back through the browser to `frontUrl` and,
//! on success only (as UnionPay does for front transactions), the back one goes to `backUrl`.

use super::answers::{result_fields, sealed, status_code};
use super::book::{BookError, CONSUME, PREAUTH, Status, Transaction};
use super::codes;
use super::delivery::spawn_back_notification;
use super::intake::{Refusal, Verified, amount_fen, is_order_id, is_txn_time, refuse, required};
use super::pages::{escape, front_notification_page, message_page, payment_page};
use super::state::{Inner, UnionPayState};
use crate::clock::{new_token, now_china};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

/// Where the payer's page posts the payer's decision.
pub const PAYER_ACTION_PATH: &str = "/gateway/sim/payer";

pub async fn front_request(State(sim): State<UnionPayState>, body: Bytes) -> Response {
    match accept(&sim, &body) {
        Ok((token, transaction)) => payment_page(&sim, &token, &transaction),
        Err(refusal) => {
            tracing::info!(code = refusal.code.0, detail = %refusal.detail, "front request refused");
            message_page(
                StatusCode::BAD_REQUEST,
                "交易失败",
                &format!(
                    "respCode={} {}: {}",
                    refusal.code.0, refusal.code.1, refusal.detail
                ),
            )
        }
    }
}

fn accept(sim: &Inner, body: &[u8]) -> Result<(String, Transaction), Refusal> {
    let verified = super::intake::verify(sim, body)?;
    let request = &verified.request;
    let txn_type = required(request, "txnType")?;
    let txn_sub_type = required(request, "txnSubType")?;
    if !matches!((txn_type, txn_sub_type), (CONSUME, "01") | (PREAUTH, "01")) {
        return Err(refuse(
            &verified,
            codes::NOT_PERMITTED,
            "not a front transaction",
        ));
    }
    let amount = amount_fen(required(request, "txnAmt")?).ok_or_else(|| {
        refuse(
            &verified,
            codes::FORMAT_ERROR,
            "txnAmt is not an amount in fen",
        )
    })?;
    let order_id = required(request, "orderId")?;
    let txn_time = required(request, "txnTime")?;
    if !is_order_id(order_id) || !is_txn_time(txn_time) {
        return Err(refuse(
            &verified,
            codes::FORMAT_ERROR,
            "orderId or txnTime malformed",
        ));
    }
    let back_url = url_field(&verified, "backUrl")?;
    let front_url = url_field(&verified, "frontUrl")?;
    let token = new_token();
    let transaction = Transaction {
        mer_id: verified.mer_id.clone(),
        order_id: order_id.to_string(),
        txn_time: txn_time.to_string(),
        txn_type: txn_type.to_string(),
        txn_sub_type: txn_sub_type.to_string(),
        biz_type: request.get("bizType").unwrap_or("000201").to_string(),
        access_type: request.get("accessType").unwrap_or("0").to_string(),
        channel_type: request.get("channelType").map(str::to_string),
        currency_code: request.get("currencyCode").unwrap_or("156").to_string(),
        amount_fen: amount,
        query_id: sim.new_query_id(now_china()),
        orig_query_id: None,
        status: Status::InProgress,
        front_url,
        back_url,
        sealing: verified.sealing,
        encoding: request.get("encoding").unwrap_or("UTF-8").to_string(),
        req_reserved: request.get("reqReserved").map(str::to_string),
        settle_date: None,
        trace_no: None,
        trace_time: None,
        refunded_fen: 0,
        voided: false,
        completed: false,
        page_token: Some(token.clone()),
        notify_acknowledged: false,
        notify_attempts: 0,
    };
    match sim.book().add(transaction.clone()) {
        Ok(_) => Ok((token, transaction)),
        Err(BookError::Duplicate) => Err(refuse(&verified, codes::DUPLICATE, "order exists")),
        Err(BookError::Full) => Err(refuse(&verified, codes::FAILED, "the book is full")),
    }
}

/// An optional URL field: when present it must be http(s).
fn url_field(verified: &Verified, field: &'static str) -> Result<Option<String>, Refusal> {
    match verified.request.get(field) {
        None => Ok(None),
        Some(url) if url.starts_with("http://") || url.starts_with("https://") => {
            Ok(Some(url.to_string()))
        }
        Some(_) => Err(refuse(
            verified,
            codes::FORMAT_ERROR,
            "a URL is not http(s)",
        )),
    }
}

/// The payer's decision: `token` and `decision` = `pay` or `decline`.
pub async fn payer_action(State(sim): State<UnionPayState>, body: Bytes) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    };
    let pay = match field("decision") {
        "pay" => true,
        "decline" => false,
        _ => {
            return message_page(
                StatusCode::BAD_REQUEST,
                "无效操作",
                "decision is pay or decline",
            );
        }
    };
    let Some(index) = decide(&sim, field("token"), pay) else {
        return message_page(
            StatusCode::NOT_FOUND,
            "页面已失效",
            "This payment page was already used or never existed.",
        );
    };
    if pay {
        spawn_back_notification(sim.clone(), index);
    }
    front_notification(&sim, index)
}

/// Records the payer's decision; the transaction's index, once per page.
fn decide(sim: &Inner, token: &str, pay: bool) -> Option<usize> {
    let now = now_china();
    let trace = sim.new_trace(now);
    let mut book = sim.book();
    let index = book.take_token(token)?;
    let transaction = book.get_mut(index)?;
    if pay {
        transaction.status = Status::Succeeded;
        transaction.settle_date = Some(sim.settle_date(now));
        transaction.trace_no = Some(trace.0);
        transaction.trace_time = Some(trace.1);
    } else {
        transaction.status = Status::Failed {
            code: codes::PAYER_DECLINED.0.to_string(),
            message: codes::PAYER_DECLINED.1.to_string(),
        };
    }
    Some(index)
}

/// The page after the decision: the signed result, auto-submitted to `frontUrl`.
fn front_notification(sim: &Inner, index: usize) -> Response {
    let Some((mut message, mer_id, sealing, front_url, succeeded)) =
        sim.book().get(index).map(|t| {
            (
                result_fields(t),
                t.mer_id.clone(),
                t.sealing,
                t.front_url.clone(),
                t.status == Status::Succeeded,
            )
        })
    else {
        return message_page(StatusCode::NOT_FOUND, "交易不存在", "no such transaction");
    };
    let (code, text) = sim
        .book()
        .get(index)
        .map(|t| status_code(&t.status))
        .unwrap_or_default();
    message.set("respCode", code);
    message.set("respMsg", text);
    let message = sealed(sim, &mer_id, sealing, message);
    let title = if succeeded {
        "支付成功"
    } else {
        "支付未完成"
    };
    match front_url {
        Some(url) => front_notification_page(title, &url, &message),
        None => message_page(StatusCode::OK, title, &escape(&mer_id)),
    }
}
