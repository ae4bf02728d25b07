//! The cashier (收银台): the consumer's pages. Choose how to pay → signed PayReq → the bank's
//! page; afterwards a result page that sends the consumer back to the business system with the
//! result and a signature over it.

use crate::flows::{self, FlowError};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;
use unipay_core::calendar;
use unipay_core::channel::PaymentRedirect;
use unipay_core::event::EventSource;
use unipay_core::payment::PaymentStatus;
use unipay_store::payments::{BankChoice, Payment};

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage<'a> {
    payment_id: &'a str,
    /// Who the consumer pays: the merchant's name.
    merchant_name: String,
    /// Until when it can be paid, Beijing time, labelled.
    deadline: String,
    subject: &'a str,
    amount_yuan: String,
    out_trade_no: &'a str,
    open: bool,
    status: &'a str,
    status_text: &'static str,
    payment_types: Vec<(String, String)>,
    /// The banks the consumer may choose among (channel account id, name, the current one);
    /// empty when the bank is not the consumer's to choose (or no longer).
    banks: Vec<(String, &'static str, bool)>,
    /// No bank chosen yet: the consumer chooses one before the ways to pay are shown.
    bank_unchosen: bool,
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage<'a> {
    payment_id: &'a str,
    merchant_name: String,
    /// Why the bank declined it, when it did.
    failure_reason: Option<String>,
    subject: &'a str,
    amount_yuan: String,
    status: &'a str,
    status_text: &'static str,
    /// Still open and before the order's deadline: the page asks again every few seconds.
    waiting: bool,
    /// Still open past the deadline: no more asking; the way back to the merchant is offered.
    expired: bool,
    /// What the "I have paid" query just found, in words.
    asked: Option<&'static str>,
    /// Closed, but the bank took the money afterwards: an operator refunds or accepts it.
    paid_late: bool,
    return_link: Option<String>,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
    payment_id: Option<&'a str>,
}

/// A bank whose payment request travels through the browser (UnionPay): the signed fields as
/// a form the consumer sends on. No script: the cashier's policy allows none, and one press
/// is what the consumer expects anyway.
#[derive(Template)]
#[template(path = "bank_form.html")]
struct BankFormPage<'a> {
    payment_id: &'a str,
    action: &'a str,
    fields: &'a [(String, String)],
}

#[derive(Deserialize)]
pub struct PayForm {
    payment_type: String,
}

pub const STYLESHEET: &str = include_str!("../../static/cashier.css");

pub async fn stylesheet() -> Response {
    let mut response = STYLESHEET.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    response
}

pub async fn checkout(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let payment = match load(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    let now = state.now_ms();
    let open = payment.status.is_open() && now < payment.expires_at;
    let payment_types = match flows::channel_for(&state, &payment).await {
        Ok(channel) => channel.payment_types(),
        Err(error) => return failure(&error.to_string(), Some(&payment.id)),
    };
    // The bank is the consumer's to choose while no bank has the order.
    let banks = if open
        && payment.status == PaymentStatus::Created
        && payment.bank_choice != BankChoice::Fixed
    {
        match flows::bank_choice::banks_for(&state, &payment).await {
            Ok(routes) => routes
                .into_iter()
                .map(|route| {
                    let current = route.channel_account_id == payment.channel_account_id;
                    (route.channel_account_id, bank_name(&route.channel), current)
                })
                .collect(),
            Err(error) => return failure(&error.to_string(), Some(&payment.id)),
        }
    } else {
        Vec::new()
    };
    let bank_unchosen = banks.len() > 1 && payment.bank_choice == BankChoice::Open;
    let merchant_name = merchant_name(&state, &payment).await;
    render(CheckoutPage {
        payment_id: &payment.id,
        merchant_name,
        deadline: beijing_time(payment.expires_at),
        subject: &payment.subject,
        amount_yuan: payment.amount.to_display_yuan(),
        out_trade_no: &payment.out_trade_no,
        open,
        status: payment.status.as_str(),
        status_text: if payment.status.is_open() && !open {
            "已过期 Expired"
        } else {
            status_text(payment.status)
        },
        payment_types,
        banks,
        bank_unchosen,
    })
}

/// A bank as the consumer reads it.
pub(crate) fn bank_name(channel: &str) -> &'static str {
    match channel {
        "abc" => "中国农业银行 Agricultural Bank of China",
        "unionpay" => "中国银联 UnionPay",
        _ => "银行 Bank",
    }
}

pub async fn pay(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PayForm>,
) -> Response {
    let payment = match load(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    if !payment.status.is_open() || state.now_ms() >= payment.expires_at {
        return Redirect::to(&format!("/pay/{}/result", payment.id)).into_response();
    }
    let allowed = match flows::channel_for(&state, &payment).await {
        Ok(channel) => channel.payment_types(),
        Err(error) => return failure(&error.to_string(), Some(&payment.id)),
    };
    if !allowed.iter().any(|(code, _)| *code == form.payment_type) {
        return message(
            StatusCode::BAD_REQUEST,
            "无效的支付方式 Invalid payment type",
            "请重新选择。Please choose again.",
            Some(&payment.id),
        );
    }
    let buyer_ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(',').next().unwrap_or("").trim().to_string());
    match flows::payments::start_bank_payment(&state, &payment, &form.payment_type, buyer_ip).await
    {
        Ok(PaymentRedirect::Url(url)) => Redirect::to(&url).into_response(),
        Ok(PaymentRedirect::PostForm { action, fields }) => render(BankFormPage {
            payment_id: &payment.id,
            action: &action,
            fields: &fields,
        }),
        Err(error) => {
            tracing::warn!(%error, payment_id = %payment.id, "cashier: the bank did not take the payment request");
            let text = match error {
                FlowError::Channel(_) => {
                    "银行暂时无法受理，请稍后再试。The bank cannot take the payment right now; please try again."
                }
                _ => "系统繁忙，请稍后再试。Please try again later.",
            };
            message(
                StatusCode::BAD_GATEWAY,
                "暂时无法支付 Payment unavailable",
                text,
                Some(&payment.id),
            )
        }
    }
}

pub async fn result(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let payment = match load(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    result_page(&state, &payment, None).await
}

/// The result page, with what a query just found when there was one.
async fn result_page(state: &AppState, payment: &Payment, asked: Option<&'static str>) -> Response {
    let open = payment.status.is_open();
    // Past the deadline the bank no longer takes the payment: waiting on this page helps no
    // one, and the consumer needs the way back (the business system hears the end either way).
    let expired = open && state.now_ms() >= payment.expires_at;
    // Money taken after the close is not lost: say so rather than only "closed".
    let paid_late = payment.status == PaymentStatus::Closed
        && matches!(state.store.late_success_of(&payment.id).await, Ok(Some(late)) if late.is_open());
    let return_link = match (&payment.return_url, !open || expired) {
        (Some(url), true) => match state.app(&payment.app_id).await {
            Ok(Some(app)) => Some(signed_return_url(
                url,
                payment,
                &app.secret,
                state.clock.now_s(),
            )),
            _ => None,
        },
        _ => None,
    };
    let failure_reason = if payment.status == PaymentStatus::Failed {
        failure_reason(state, &payment.id).await
    } else {
        None
    };
    let merchant_name = merchant_name(state, payment).await;
    let mut response = render(ResultPage {
        payment_id: &payment.id,
        merchant_name,
        failure_reason,
        subject: &payment.subject,
        amount_yuan: payment.amount.to_display_yuan(),
        status: payment.status.as_str(),
        status_text: status_text(payment.status),
        waiting: open && !expired,
        expired,
        asked,
        paid_late,
        return_link,
    });
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The merchant's name as the consumer sees it; blank if it cannot be read (the page is still
/// worth showing).
pub(crate) async fn merchant_name(state: &AppState, payment: &Payment) -> String {
    match state.store.get_merchant(&payment.merchant_id).await {
        Ok(Some(merchant)) => merchant.name,
        Ok(None) => String::new(),
        Err(error) => {
            tracing::warn!(%error, "cashier: merchant name unreadable");
            String::new()
        }
    }
}

/// A time as the consumer reads it: Beijing time, and saying so.
pub(crate) fn beijing_time(ms: i64) -> String {
    calendar::beijing(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M 北京时间 (UTC+8)").to_string())
        .unwrap_or_default()
}

/// What the bank said when it declined the payment: the detail of the event that failed it.
async fn failure_reason(state: &AppState, payment_id: &str) -> Option<String> {
    let events = match state.store.list_payment_events(payment_id).await {
        Ok(events) => events,
        Err(error) => {
            tracing::warn!(%error, "cashier: payment events unreadable");
            return None;
        }
    };
    events
        .iter()
        .rev()
        .find(|e| e.to_status.as_deref() == Some("failed"))
        .map(|e| consumer_reason(e.detail.trim()))
        .filter(|reason| !reason.is_empty())
}

/// The failure as a consumer reads it: the K-code limits in words, else the bank's own text.
fn consumer_reason(detail: &str) -> String {
    if detail.starts_with("wrong code") {
        "验证码错误次数过多。Too many wrong codes were entered.".to_string()
    } else if detail.starts_with("K-code bill") || detail.starts_with("more than") {
        "尝试的银行卡过多。Too many cards were tried.".to_string()
    } else {
        detail.to_string()
    }
}

/// The consumer's "I have paid" button: ask the bank now, and show the result page with what
/// the bank said (the page refreshes to its own address, not this one).
pub async fn query_now(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let payment = match load(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    if !payment.status.is_open() {
        return Redirect::to(&format!("/pay/{}/result", payment.id)).into_response();
    }
    let asked =
        match flows::payments::query_with_answer(&state, &payment, EventSource::Cashier, false)
            .await
        {
            Ok((_, said)) => said.answer,
            Err(error) => {
                tracing::warn!(%error, "cashier: query failed");
                "unreachable"
            }
        };
    let payment = match load(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    result_page(&state, &payment, Some(answer_text(asked))).await
}

/// What a query found, for the consumer.
fn answer_text(answer: &str) -> &'static str {
    match answer {
        "paid" | "authorized" => "银行确认已收到付款 The bank confirms your payment",
        "unpaid" => "银行尚未收到付款 The bank has not received a payment yet",
        "failed" => "银行告知支付失败 The bank reports the payment failed",
        "cancelled" => "银行告知已撤销 The bank reports it was cancelled",
        "unknown" => {
            "银行暂时无法确认，请稍后再查 The bank cannot confirm yet; check again shortly"
        }
        _ => "暂时无法联系银行，请稍后再查 The bank could not be reached; check again shortly",
    }
}

/// `return_url` plus the result, signed with the app's secret so the business system can
/// trust what the browser brings: `signature = hex(HMAC-SHA256(secret, <the query before &signature>))`.
pub fn signed_return_url(return_url: &str, payment: &Payment, secret: &str, now_s: i64) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("payment_id", &payment.id)
        .append_pair("out_trade_no", &payment.out_trade_no)
        .append_pair("status", payment.status.as_str())
        .append_pair("amount", &payment.amount.fen().to_string())
        .append_pair("t", &now_s.to_string())
        .finish();
    let signature = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(query.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    let separator = if return_url.contains('?') { '&' } else { '?' };
    format!("{return_url}{separator}{query}&signature={signature}")
}

fn status_text(status: PaymentStatus) -> &'static str {
    match status {
        PaymentStatus::Created => "待支付 Awaiting payment",
        PaymentStatus::Pending => "支付处理中 Processing",
        PaymentStatus::Succeeded => "支付成功 Paid",
        PaymentStatus::Failed => "支付失败 Failed",
        PaymentStatus::Closed => "已关闭 Closed",
        PaymentStatus::Authorized => "已授权 Authorized",
        PaymentStatus::Cancelled => "已撤销 Cancelled",
    }
}

pub(crate) async fn load(state: &AppState, id: &str) -> Result<Payment, Response> {
    if id.len() > 64 {
        return Err(not_found());
    }
    match state.store.get_payment(id).await {
        Ok(Some(payment)) => Ok(payment),
        Ok(None) => Err(not_found()),
        Err(error) => Err(failure(&error.to_string(), None)),
    }
}

fn not_found() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "订单不存在 Payment not found",
        "请检查链接。Please check the link.",
        None,
    )
}

fn failure(error: &str, payment_id: Option<&str>) -> Response {
    tracing::error!(error, "cashier failure");
    message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "系统繁忙 Something went wrong",
        "请稍后再试。Please try again later.",
        payment_id,
    )
}

pub(crate) fn message(
    status: StatusCode,
    title: &str,
    text: &str,
    payment_id: Option<&str>,
) -> Response {
    let mut response = render(MessagePage {
        title,
        message: text,
        payment_id,
    });
    *response.status_mut() = status;
    response
}

pub(crate) fn render(template: impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}
