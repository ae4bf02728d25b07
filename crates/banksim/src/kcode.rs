//! K-code payment (网上K码支付): the order is paid without a page. `KPayVerifyReq` registers
//! the order as a PayReq would (same checks, same number rules) and texts a six-digit code to
//! the consumer's mobile; `KPayReq` pays it with that code; `KPayResendReq` texts a new code
//! and voids the old. A paid K-code order is like any other: Query answers `04`, statements
//! list it, and the server notification goes out as for a payment made on the bank's page
//! (NotifyType 1); an order failed by too many wrong codes is reported like a declined one.
//!
//! The texts go to `GET /sim/sms?mobile=…` (newest first) instead of a phone; the desk's rules
//! (code life, wrong codes allowed, codes per order, and a fault that loses KPayReq answers)
//! are `GET`/`POST /sim/kcode` (see [`desk::KcodeSettings`]).
//!
//! ReturnCodes (**invented**, like the others in [`crate::codes`]):
//!
//! | code | message | when |
//! |---|---|---|
//! | `2350` | 验证码错误 | KPayReq with a wrong code; the attempt is counted |
//! | `2351` | 验证码已过期 | KPayReq after the code's life; a resend gives a new code |
//! | `2352` | 验证码错误次数超限 | the wrong code that uses up the attempts (the order fails), and any KPayReq or resend after it |
//! | `2353` | 验证码发送次数超限 | a resend (or a repeated bill) beyond the codes an order may have |
//! | `2354` | 无待验证的K码订单 | KPayReq or KPayResendReq for an order that has no bill |
//! | `2355` | 该卡未开通K码支付 | a bill naming a card in `refused_cards`: nothing is registered or texted |
//! | `2356` | 持卡人信息不符 | KPayReq naming a holder in `mismatched_holders`: nothing is counted, the order stays unpaid |

pub mod desk;

use crate::answer;
use crate::book::{NotifyType, Status};
use crate::clock::now_ms;
use crate::codes;
use crate::delivery;
use crate::ids::is_order_no;
use crate::messages;
use crate::messages::kcode::{KPayCodeResponse, KPayRequest, KPayResendRequest, KPayResponse};
use crate::payreq;
use crate::settle::{Notice, Outcome, settle};
use crate::sim_api::{error, parse};
use crate::state::SimState;
use crate::trx::{Reply, text};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use desk::{IssueRefusal, KcodeSettings, Verdict};
use serde_json::Value;
use std::time::Duration;
use unipay_core::masking::mask_id;
use unipay_core::money::format_yuan;

pub const WRONG_CODE: (&str, &str) = ("2350", "验证码错误");
pub const CODE_EXPIRED: (&str, &str) = ("2351", "验证码已过期");
pub const ATTEMPTS_EXHAUSTED: (&str, &str) = ("2352", "验证码错误次数超限");
pub const CODE_LIMIT: (&str, &str) = ("2353", "验证码发送次数超限");
pub const NO_BILL: (&str, &str) = ("2354", "无待验证的K码订单");
pub const CARD_REFUSED: (&str, &str) = ("2355", "该卡未开通K码支付");
pub const HOLDER_MISMATCH: (&str, &str) = ("2356", "持卡人信息不符");

const CERTIFICATE_TYPES: &[&str] = &["I", "P", "K", "D", "W", "U"];

/// `KPayVerifyReq`: the order as a PayReq, then the card and the mobile the code goes to.
pub fn verify_req(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let fields = match payreq::validate(request) {
        Ok(fields) => fields,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    let Some(card) = text(request, &["CardNo"])
        .filter(|card| (12..=19).contains(&card.len()) && all_digits(card))
    else {
        return answer::bad_field(merchant_id, "CardNo");
    };
    let Some(mobile) = text(request, &["MobileNo"])
        .filter(|mobile| mobile.len() == 11 && mobile.starts_with('1') && all_digits(mobile))
    else {
        return answer::bad_field(merchant_id, "MobileNo");
    };
    // A card not enrolled is refused before the order is taken: nothing to pay, nothing texted.
    if sim.kcode.refuses_card(card) {
        return answer::refusal(merchant_id, CARD_REFUSED);
    }
    if let Err(refusal) = payreq::register(sim, merchant_id, &fields) {
        return answer::refusal(merchant_id, refusal);
    }
    match sim
        .kcode
        .bill(merchant_id, fields.order_no, mobile, now_ms())
    {
        Ok(_) => code_sent(
            merchant_id,
            "KPayVerifyReq",
            fields.order_no,
            fields.amount.fen(),
            mobile,
        ),
        Err(refusal) => answer::refusal(merchant_id, issue_refusal(refusal)),
    }
}

/// `KPayResendReq`: a new code for an unpaid order that has a bill.
pub fn resend_req(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let Ok(fields) = messages::read::<KPayResendRequest>(request) else {
        return answer::bad_field(merchant_id, "TrxRequest");
    };
    if !is_order_no(&fields.order_no) {
        return answer::bad_field(merchant_id, "OrderNo");
    }
    let (status, amount_fen) = match order_status(sim, merchant_id, &fields.order_no) {
        Some(found) => found,
        None => return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND),
    };
    if status != Status::Unpaid {
        let exhausted = sim.kcode.is_exhausted(merchant_id, &fields.order_no);
        return answer::refusal(
            merchant_id,
            if exhausted {
                ATTEMPTS_EXHAUSTED
            } else {
                codes::ORDER_FINAL
            },
        );
    }
    match sim.kcode.resend(merchant_id, &fields.order_no, now_ms()) {
        Err(refusal) => answer::refusal(merchant_id, issue_refusal(refusal)),
        Ok(text) => code_sent(
            merchant_id,
            "KPayResendReq",
            &fields.order_no,
            amount_fen,
            &text.mobile,
        ),
    }
}

/// `KPayReq` as the endpoint answers it: with its M, or, under the `lose_pay_answers` fault,
/// with a connection that breaks after the order was judged.
pub fn kpay(sim: &SimState, merchant_id: &str, request: &Value) -> Reply {
    let answer = kpay_req(sim, merchant_id, request);
    if sim.kcode.settings().lose_pay_answers {
        Reply::Hold(Duration::ZERO)
    } else {
        Reply::Message(answer)
    }
}

/// `KPayReq`: the code and the card holder's details; a right code pays the order at once.
pub fn kpay_req(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let Ok(fields) = messages::read::<KPayRequest>(request) else {
        return answer::bad_field(merchant_id, "TrxRequest");
    };
    if let Err(field) = validate_pay(&fields) {
        return answer::bad_field(merchant_id, field);
    }
    let order_no = fields.order_no.as_str();
    let Some(id) = sim.orders().find(merchant_id, order_no) else {
        return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND);
    };
    let status = sim.orders().get(id).map(|order| order.status);
    match status {
        Some(Status::Unpaid) => {}
        // The merchant sent the paying request again (its answer was lost): the same answer.
        Some(Status::Paid)
            if sim
                .kcode
                .is_current_code(merchant_id, order_no, &fields.verify_code) =>
        {
            return match settle(sim, id, Outcome::Success) {
                Ok((notice, _)) => paid(merchant_id, &notice),
                Err(_) => answer::refusal(merchant_id, codes::ORDER_FINAL),
            };
        }
        Some(_) => return answer::refusal(merchant_id, codes::ORDER_FINAL),
        None => return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND),
    }
    // The holder's details are judged before the code, so a mismatch costs no attempt.
    if sim.kcode.holder_mismatch(&fields.acc_name) {
        return answer::refusal(merchant_id, HOLDER_MISMATCH);
    }
    match sim
        .kcode
        .check(merchant_id, order_no, &fields.verify_code, now_ms())
    {
        Verdict::Right => match settle(sim, id, Outcome::Success) {
            Ok((notice, fresh)) => {
                notify(sim, &notice, fresh);
                paid(merchant_id, &notice)
            }
            Err(_) => answer::refusal(merchant_id, codes::ORDER_FINAL),
        },
        Verdict::Wrong { left } => answer::refusal(
            merchant_id,
            (WRONG_CODE.0, &format!("{}(剩余{left}次)", WRONG_CODE.1)),
        ),
        Verdict::ExhaustedNow => {
            if let Ok((notice, fresh)) = settle(sim, id, Outcome::Decline) {
                notify(sim, &notice, fresh);
            }
            answer::refusal(merchant_id, ATTEMPTS_EXHAUSTED)
        }
        Verdict::Exhausted => answer::refusal(merchant_id, ATTEMPTS_EXHAUSTED),
        Verdict::Expired => answer::refusal(merchant_id, CODE_EXPIRED),
        Verdict::NoSession => answer::refusal(merchant_id, NO_BILL),
    }
}

fn validate_pay(fields: &KPayRequest) -> Result<(), &'static str> {
    if !is_order_no(&fields.order_no) {
        return Err("OrderNo");
    }
    let code = &fields.verify_code;
    if code.is_empty() || code.len() > 12 || !all_digits(code) {
        return Err("VerifyCode");
    }
    let name = fields.acc_name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        return Err("AccName");
    }
    if !CERTIFICATE_TYPES.contains(&fields.certificate_type.as_str()) {
        return Err("CertificateType");
    }
    let id = &fields.certificate_id;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("CertificateID");
    }
    if !(fields.exp_date.is_empty() || (fields.exp_date.len() == 4 && all_digits(&fields.exp_date)))
    {
        return Err("ExpDate");
    }
    if !(fields.cvv2.is_empty() || (fields.cvv2.len() == 3 && all_digits(&fields.cvv2))) {
        return Err("CVV2");
    }
    Ok(())
}

fn all_digits(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_digit())
}

fn order_status(sim: &SimState, merchant_id: &str, order_no: &str) -> Option<(Status, i64)> {
    let book = sim.orders();
    let order = book.get(book.find(merchant_id, order_no)?)?;
    Some((order.status, order.amount_fen))
}

fn issue_refusal(refusal: IssueRefusal) -> (&'static str, &'static str) {
    match refusal {
        IssueRefusal::Exhausted => ATTEMPTS_EXHAUSTED,
        IssueRefusal::Limit => CODE_LIMIT,
        IssueRefusal::NoSession => NO_BILL,
    }
}

/// The server notification of a result this request decided, as for a payment on the page.
/// A page-mode merchant has its answer: no browser is there to carry one.
fn notify(sim: &SimState, notice: &Notice, fresh: bool) {
    if fresh && notice.notify_type == NotifyType::Server {
        delivery::spawn_server(sim.clone(), notice.clone(), None);
    }
}

fn code_sent(
    merchant_id: &str,
    trx_type: &str,
    order_no: &str,
    amount_fen: i64,
    mobile: &str,
) -> String {
    answer::message(
        merchant_id,
        KPayCodeResponse {
            return_code: codes::SUCCESS.0.to_string(),
            error_message: codes::SUCCESS.1.to_string(),
            ec_merchant_type: "EBUS".to_string(),
            merchant_id: merchant_id.to_string(),
            trx_type: trx_type.to_string(),
            order_no: order_no.to_string(),
            order_amount: format_yuan(amount_fen),
            mobile_no: mask_id(mobile),
        },
    )
}

fn paid(merchant_id: &str, notice: &Notice) -> String {
    let payment = &notice.payment;
    answer::message(
        merchant_id,
        KPayResponse {
            return_code: codes::SUCCESS.0.to_string(),
            error_message: codes::SUCCESS.1.to_string(),
            ec_merchant_type: "EBUS".to_string(),
            merchant_id: merchant_id.to_string(),
            trx_type: "KPayReq".to_string(),
            order_no: notice.order_no.to_string(),
            amount: format_yuan(notice.amount_fen),
            batch_no: payment.batch_no.clone(),
            voucher_no: payment.voucher_no.clone(),
            host_date: payment.host_date.clone(),
            host_time: payment.host_time.clone(),
            pay_type: payment.pay_type.to_string(),
            i_rsp_ref: payment.i_rsp_ref.clone(),
        },
    )
}

/// `GET /sim/sms?mobile=…`: the texts the mobile received, newest first.
pub async fn sms(State(sim): State<SimState>, RawQuery(query): RawQuery) -> Response {
    let mobile = query.as_deref().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "mobile")
            .map(|(_, value)| value.into_owned())
    });
    match mobile {
        Some(mobile) if !mobile.is_empty() => Json(sim.kcode.texts(&mobile)).into_response(),
        _ => error(StatusCode::BAD_REQUEST, "?mobile= is required"),
    }
}

/// `GET /sim/kcode`: the desk's rules.
pub async fn get_settings(State(sim): State<SimState>) -> Response {
    Json(sim.kcode.settings()).into_response()
}

/// `POST /sim/kcode`: replaces the desk's rules (absent fields take their defaults).
pub async fn set_settings(State(sim): State<SimState>, body: Bytes) -> Response {
    let settings: KcodeSettings = match parse(&body) {
        Ok(settings) => settings,
        Err(refused) => return refused.into_response(),
    };
    if settings.max_wrong_codes == 0 || settings.max_codes == 0 {
        return error(
            StatusCode::BAD_REQUEST,
            "max_wrong_codes and max_codes must be at least 1",
        );
    }
    sim.kcode.set_settings(settings.clone());
    Json(settings).into_response()
}
