//! K-code payment (网上K码支付), as ABC's client speaks it. `KPayVerifyReq` (CardNo, MobileNo
//! = the last four digits of the consumer's mobile, the order in `Order{…}`, no NotifyType or
//! ResultNotifyURL) registers the bill and texts a six-digit code to the consumer; its answer
//! carries `PaymentURL` (a page where the consumer may pay the bill with the code, see
//! [`page`]), `VerifyDate` and `VerifyTime`. `KPayReq` (the code, the holder, `Order{…}`,
//! PayLinkType) pays it, and its answer is the result (OrderAmount, HostDate, HostTime…);
//! `KPayResendReq` (`Order{…}`) texts a new code and voids the old. Nobody is notified of a
//! K-code payment (no URL is given): the answer or a Query tells it. A paid K-code order is
//! otherwise like any other: Query answers `04`, statements list it.
//!
//! The texts go to `GET /sim/sms?mobile=…` (newest first; `mobile` is the four digits the bill
//! named, or a whole number read by its last four) instead of a phone; the desk's rules (code life, wrong codes allowed, codes per order,
//! and a fault that loses KPayReq answers) are `GET`/`POST /sim/kcode` (see
//! [`desk::KcodeSettings`]). When the identity registry (`/sim/identities`) knows the card and
//! a mobile for it, the bill's four digits must be that mobile's last four.
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
//! | `2357` | 手机号与预留不符 | a bill whose four digits are not the last four of the mobile the registry holds for the card |

pub mod desk;
pub mod page;

use crate::answer;
use crate::book::Status;
use crate::clock::{now_china, now_ms, protocol_date, protocol_time};
use crate::codes;
use crate::ids::is_order_no;
use crate::payreq;
use crate::settle::{Notice, Outcome, settle};
use crate::sim_api::{error, parse};
use crate::state::SimState;
use crate::trx::{Reply, text};
use crate::wire::names;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use desk::{IssueRefusal, KcodeSettings, Verdict};
use serde_json::Value;
use std::time::Duration;
use unipay_core::money::format_yuan;

pub const WRONG_CODE: (&str, &str) = ("2350", "验证码错误");
pub const CODE_EXPIRED: (&str, &str) = ("2351", "验证码已过期");
pub const ATTEMPTS_EXHAUSTED: (&str, &str) = ("2352", "验证码错误次数超限");
pub const CODE_LIMIT: (&str, &str) = ("2353", "验证码发送次数超限");
pub const NO_BILL: (&str, &str) = ("2354", "无待验证的K码订单");
pub const CARD_REFUSED: (&str, &str) = ("2355", "该卡未开通K码支付");
pub const HOLDER_MISMATCH: (&str, &str) = ("2356", "持卡人信息不符");
pub const MOBILE_MISMATCH: (&str, &str) = ("2357", "手机号与预留不符");

/// The first field of a bill the SDK would never send so, by name.
fn bad_bill_field(request: &Value) -> Option<&'static str> {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    let card = field("CardNo");
    let checks = [
        (
            "CardNo",
            (6..=30).contains(&card.len()) && card.bytes().all(|b| b.is_ascii_alphanumeric()),
        ),
        (
            "MobileNo",
            field("MobileNo").len() == 4 && all_digits(field("MobileNo")),
        ),
        ("CommodityType", field("CommodityType").chars().count() == 4),
        ("Installment", matches!(field("Installment"), "0" | "1")),
        (
            "IsBreakAccount",
            matches!(field("IsBreakAccount"), "0" | "1"),
        ),
        (
            "PayTypeID",
            matches!(
                text(request, &["Order", "PayTypeID"]),
                Some("ImmediatePay" | "DividedPay")
            ),
        ),
    ];
    checks.iter().find(|(_, ok)| !ok).map(|(name, _)| *name)
}

/// `KPayVerifyReq`: the order as a PayReq's (without notification), then the card and the
/// mobile's last four digits the code goes to.
pub fn verify_req(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let fields = match payreq::validate_order(request, false) {
        Ok(fields) => fields,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    if let Some(field) = bad_bill_field(request) {
        return answer::bad_field(merchant_id, field);
    }
    let card = text(request, &["CardNo"]).unwrap_or("");
    let mobile = text(request, &["MobileNo"]).unwrap_or("");
    // A card not enrolled is refused before the order is taken: nothing to pay, nothing texted.
    if sim.kcode.refuses_card(card) {
        return answer::refusal(merchant_id, CARD_REFUSED);
    }
    if !sim.identity.lock().mobile_ends_with(card, mobile) {
        return answer::refusal(merchant_id, MOBILE_MISMATCH);
    }
    let token = match payreq::register(sim, merchant_id, &fields) {
        Ok(token) => token,
        Err(refusal) => return answer::refusal(merchant_id, refusal),
    };
    if let Err(refusal) = sim
        .kcode
        .bill(merchant_id, fields.order_no, mobile, now_ms())
    {
        return answer::refusal(merchant_id, issue_refusal(refusal));
    }
    let now = now_china();
    let payment_url = format!("{}{}?TOKEN={token}", sim.public_url, page::KPAY_PAGE_PATH);
    answer::object(
        merchant_id,
        answer::head(merchant_id, "KPayVerifyReq", codes::SUCCESS)
            .s(names::ORDER_NO, fields.order_no)
            .s(names::ORDER_AMOUNT, &fields.amount.to_yuan_string())
            .s("PaymentURL", &payment_url)
            .s("VerifyDate", &protocol_date(now.date_naive()))
            .s("VerifyTime", &protocol_time(now)),
    )
}

/// `Order{OrderNo, CurrencyCode, OrderAmount, …}` of a KPayReq or KPayResendReq: the order
/// number, once the order's shape is what the SDK sends.
fn order_no_of(request: &Value) -> Result<&str, &'static str> {
    let order = |name: &str| text(request, &["Order", name]).unwrap_or("");
    let checks = [
        ("OrderNo", is_order_no(order("OrderNo"))),
        ("CurrencyCode", order("CurrencyCode") == "156"),
        (
            "OrderAmount",
            unipay_core::money::Amount::parse_yuan(order("OrderAmount"))
                .is_ok_and(|amount| amount.fen() > 0),
        ),
        ("OrderDate", crate::fields::is_date(order("OrderDate"))),
        ("OrderTime", crate::fields::is_time(order("OrderTime"))),
    ];
    match checks.iter().find(|(_, ok)| !ok) {
        Some((name, _)) => Err(name),
        None => Ok(order("OrderNo")),
    }
}

/// `KPayResendReq`: a new code for an unpaid order that has a bill.
pub fn resend_req(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let order_no = match order_no_of(request) {
        Ok(order_no) => order_no,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    let status = match order_status(sim, merchant_id, order_no) {
        Some((status, _)) => status,
        None => return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND),
    };
    if status != Status::Unpaid {
        let exhausted = sim.kcode.is_exhausted(merchant_id, order_no);
        return answer::refusal(
            merchant_id,
            if exhausted {
                ATTEMPTS_EXHAUSTED
            } else {
                codes::ORDER_FINAL
            },
        );
    }
    match sim.kcode.resend(merchant_id, order_no, now_ms()) {
        Err(refusal) => answer::refusal(merchant_id, issue_refusal(refusal)),
        Ok(_) => answer::object(
            merchant_id,
            answer::head(merchant_id, "KPayResendReq", codes::SUCCESS).s(names::ORDER_NO, order_no),
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

/// The first field of a KPayReq the SDK would never send so (or without which the bank
/// cannot judge it: the code), by name.
fn bad_pay_field(request: &Value) -> Option<&'static str> {
    let field = |name: &str| text(request, &[name]).unwrap_or("");
    let code = field("VerifyCode");
    let certificate_type = field("CertificateType");
    let certificate_ok = (certificate_type.is_empty() && field("CertificateID").is_empty())
        || crate::ids::is_certificate(certificate_type, field("CertificateID"));
    let exp_date = field("ExpDate");
    let cvv2 = field("CVV2");
    let checks = [
        (
            "VerifyCode",
            !code.is_empty() && code.len() <= 12 && all_digits(code),
        ),
        ("AccName", field("AccName").chars().count() <= 60),
        ("CertificateID", certificate_ok),
        (
            "ExpDate",
            exp_date.is_empty() || (exp_date.len() == 4 && all_digits(exp_date)),
        ),
        (
            "CVV2",
            cvv2.is_empty() || (cvv2.len() == 3 && all_digits(cvv2)),
        ),
        ("PaymentType", !field("PaymentType").is_empty()),
        ("PayLinkType", matches!(field("PayLinkType"), "1" | "2")),
    ];
    checks.iter().find(|(_, ok)| !ok).map(|(name, _)| *name)
}

/// `KPayReq`: the code and the card holder's details; a right code pays the order at once.
pub fn kpay_req(sim: &SimState, merchant_id: &str, request: &Value) -> String {
    let order_no = match order_no_of(request) {
        Ok(order_no) => order_no,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    if let Some(field) = bad_pay_field(request) {
        return answer::bad_field(merchant_id, field);
    }
    let verify_code = text(request, &["VerifyCode"]).unwrap_or("");
    let Some(id) = sim.orders().find(merchant_id, order_no) else {
        return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND);
    };
    let (status, amount_fen) = match sim.orders().get(id) {
        Some(order) => (order.status, order.amount_fen),
        None => return answer::refusal(merchant_id, codes::ORDER_NOT_FOUND),
    };
    // The amount must be the bill's: the merchant pays what it billed.
    let asked = text(request, &["Order", "OrderAmount"])
        .and_then(|amount| unipay_core::money::Amount::parse_yuan(amount).ok());
    if asked.is_none_or(|amount| amount.fen() != amount_fen) {
        return answer::bad_field(merchant_id, "OrderAmount");
    }
    match status {
        Status::Unpaid => {}
        // The merchant sent the paying request again (its answer was lost): the same answer.
        Status::Paid
            if sim
                .kcode
                .is_current_code(merchant_id, order_no, verify_code) =>
        {
            return match settle(sim, id, Outcome::Success) {
                Ok((notice, _)) => paid(merchant_id, &notice),
                Err(_) => answer::refusal(merchant_id, codes::ORDER_FINAL),
            };
        }
        _ => return answer::refusal(merchant_id, codes::ORDER_FINAL),
    }
    // The holder's details are judged before the code, so a mismatch costs no attempt.
    if sim
        .kcode
        .holder_mismatch(text(request, &["AccName"]).unwrap_or(""))
    {
        return answer::refusal(merchant_id, HOLDER_MISMATCH);
    }
    match pay_with_code(sim, merchant_id, order_no, id, verify_code) {
        Ok(notice) => paid(merchant_id, &notice),
        Err(refusal) => answer::refusal(merchant_id, (refusal.0, &refusal.1)),
    }
}

/// Judges `code` for the bill and settles the order accordingly (the KPayReq and the
/// consumer's page share it): the paid order, or the refusal and its message.
pub(crate) fn pay_with_code(
    sim: &SimState,
    merchant_id: &str,
    order_no: &str,
    id: crate::book::OrderId,
    code: &str,
) -> Result<Notice, (&'static str, String)> {
    let refusal = |(code, text): (&'static str, &str)| (code, text.to_string());
    match sim.kcode.check(merchant_id, order_no, code, now_ms()) {
        Verdict::Right => settle(sim, id, Outcome::Success)
            .map(|(notice, _)| notice)
            .map_err(|_| refusal(codes::ORDER_FINAL)),
        Verdict::Wrong { left } => Err((WRONG_CODE.0, format!("{}(剩余{left}次)", WRONG_CODE.1))),
        Verdict::ExhaustedNow => {
            // The order fails; nobody is notified (no URL), Query tells it.
            let _ = settle(sim, id, Outcome::Decline);
            Err(refusal(ATTEMPTS_EXHAUSTED))
        }
        Verdict::Exhausted => Err(refusal(ATTEMPTS_EXHAUSTED)),
        Verdict::Expired => Err(refusal(CODE_EXPIRED)),
        Verdict::NoSession => Err(refusal(NO_BILL)),
    }
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

/// M of a paid KPayReq: the payment as the bank booked it.
fn paid(merchant_id: &str, notice: &Notice) -> String {
    let payment = &notice.payment;
    answer::object(
        merchant_id,
        answer::head(merchant_id, "KPayReq", codes::SUCCESS)
            .s(names::ORDER_NO, &notice.order_no)
            .s(names::ORDER_AMOUNT, &format_yuan(notice.amount_fen))
            .s(names::BATCH_NO, &payment.batch_no)
            .s(names::VOUCHER_NO, &payment.voucher_no)
            .s(names::HOST_DATE, &payment.host_date)
            .s(names::HOST_TIME, &payment.host_time)
            .s(names::PAY_TYPE, payment.pay_type)
            .s(names::I_RSP_REF, &payment.i_rsp_ref),
    )
}

/// `GET /sim/sms?mobile=…`: the texts the mobile received, newest first. A bill names the
/// mobile by its last four digits, which is what the texts are kept under; a whole number is
/// read by its last four, so that a test may ask with the consumer's full mobile.
pub async fn sms(State(sim): State<SimState>, RawQuery(query): RawQuery) -> Response {
    let mobile = query.as_deref().and_then(|query| {
        form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == "mobile")
            .map(|(_, value)| value.into_owned())
    });
    match mobile {
        Some(mobile) if !mobile.is_empty() => {
            let last4 = mobile
                .get(mobile.len().saturating_sub(4)..)
                .unwrap_or(&mobile);
            Json(sim.kcode.texts(last4)).into_response()
        }
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
