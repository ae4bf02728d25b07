//! K-code payment at the cashier (`/pay/{id}/kcode`): the consumer stays on our pages. Card and
//! mobile → the bank texts a code → code, name and certificate → paid, and on to the result
//! page. Plain forms (the pages run no script); every error is shown on the same page. The
//! flow is the API's (`kcode_flows.rs`).

use crate::flows::{self, kcode::KcodeRefusal};
use crate::http::cashier::{beijing_time, load, merchant_name, message, render};
use crate::http::rate_limit::{SourceAddress, too_many_requests};
use crate::kcode::{self, CERTIFICATE_TYPES, ConfirmInput};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use unipay_core::event::EventSource;
use unipay_store::kcode::{KcodeRecord, KcodeStatus};
use unipay_store::payments::Payment;

#[derive(Template)]
#[template(path = "kcode.html")]
struct KcodePage<'a> {
    payment_id: &'a str,
    /// Who is paid, as on the checkout page; blank when unknown.
    merchant_name: String,
    /// The order's deadline, Beijing time.
    deadline: String,
    subject: &'a str,
    amount_yuan: String,
    code_sent: bool,
    card_masked: &'a str,
    mobile_masked: &'a str,
    certificate_types: &'static [(&'static str, &'static str)],
    error: &'a str,
    notice: &'a str,
    /// What the consumer typed, shown again after an error so it need not be typed twice.
    kept: Kept,
    /// Until a new code may be asked for: one `(second, seconds left)` per second, drawn as
    /// an SVG countdown that runs without script.
    countdown: Vec<(i64, i64)>,
}

/// The fields a form keeps after an error (the code and card secrets are never echoed).
#[derive(Debug, Clone, Default)]
struct Kept {
    card_no: String,
    mobile_no: String,
    account_name: String,
    certificate_type: String,
    certificate_no: String,
}

/// The longest countdown drawn (a longer wait is refused with its time by the flow anyway).
const MAX_COUNTDOWN_S: i64 = 300;

#[derive(Deserialize)]
pub struct StartForm {
    card_no: String,
    mobile_no: String,
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    verify_code: String,
    account_name: String,
    certificate_type: String,
    certificate_no: String,
    #[serde(default)]
    exp_date: String,
    #[serde(default)]
    cvv2: String,
}

/// `GET /pay/{id}/kcode`: the card form, or the code form once a code was texted.
pub async fn page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let payment = match open_payment(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    show(&state, &payment, "", "", Kept::default()).await
}

/// `POST /pay/{id}/kcode`: the bill.
pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    SourceAddress(from): SourceAddress,
    Form(form): Form<StartForm>,
) -> Response {
    // Each bill tells the sender whether a card and mobile are good: few per address.
    if !state.limits.kcode_bills_per_source.allow(&from) {
        state.metrics.refused("cashier_kcode", "rate_limited");
        return too_many_requests();
    }
    let payment = match open_payment(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    let input = kcode::card_no(&form.card_no)
        .and_then(|card| kcode::mobile_no(&form.mobile_no).map(|mobile| (card, mobile)));
    let (card_no, mobile_no) = match input {
        Ok(input) => input,
        Err(error) => {
            let text = match error.field {
                "card_no" => {
                    "请输入12至19位银行卡号。Please enter the 12 to 19 digits of the card."
                }
                _ => "请输入11位手机号。Please enter the 11-digit mobile number.",
            };
            let kept = Kept {
                card_no: form.card_no.chars().take(23).collect(),
                mobile_no: form.mobile_no.chars().take(11).collect(),
                ..Kept::default()
            };
            return page_with(&state, &payment, None, text, "", kept).await;
        }
    };
    let sent =
        flows::kcode::send_bill(&state, &payment, &card_no, &mobile_no, EventSource::Cashier).await;
    match sent {
        Ok(Ok(payment)) => {
            show(
                &state,
                &payment,
                "",
                "验证码已发送。The code is on its way.",
                Kept::default(),
            )
            .await
        }
        Ok(Err(refusal)) => {
            let kept = Kept {
                card_no: form.card_no.chars().take(23).collect(),
                mobile_no: form.mobile_no.chars().take(11).collect(),
                ..Kept::default()
            };
            answer_refusal(&state, &payment, refusal, kept).await
        }
        Err(error) => {
            tracing::warn!(%error, payment_id = %payment.id, "cashier: K-code bill failed");
            show(&state, &payment, UNAVAILABLE, "", Kept::default()).await
        }
    }
}

/// `POST /pay/{id}/kcode/confirm`: pays with the code; on to the result page when done.
pub async fn confirm(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Response {
    let payment = match open_payment(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    let kept = Kept {
        account_name: form.account_name.chars().take(60).collect(),
        certificate_type: form.certificate_type.chars().take(4).collect(),
        certificate_no: form.certificate_no.chars().take(32).collect(),
        ..Kept::default()
    };
    let input = ConfirmInput::new(
        &form.verify_code,
        &form.account_name,
        &form.certificate_type,
        &form.certificate_no,
        &form.exp_date,
        &form.cvv2,
    );
    let input = match input {
        Ok(input) => input,
        Err(error) => {
            let text = match error.field {
                "verify_code" => {
                    "请输入短信中的验证码。Please enter the code from the text message."
                }
                "account_name" => "请输入持卡人姓名。Please enter the card holder's name.",
                "certificate_no" => {
                    "请输入正确的证件号码。Please enter a valid certificate number."
                }
                "exp_date" => "有效期格式为MMYY。The expiry is MMYY.",
                "cvv2" => "CVV2为3位数字。CVV2 is 3 digits.",
                _ => "请检查输入。Please check what you entered.",
            };
            return show(&state, &payment, text, "", kept).await;
        }
    };
    match flows::kcode::confirm(&state, &payment, &input, EventSource::Cashier).await {
        Ok(Ok(paid)) => Redirect::to(&format!("/pay/{}/result", paid.id)).into_response(),
        Ok(Err(refusal)) => answer_refusal(&state, &payment, refusal, kept).await,
        Err(error) => {
            tracing::warn!(%error, payment_id = %payment.id, "cashier: K-code payment failed");
            show(&state, &payment, UNAVAILABLE, "", Kept::default()).await
        }
    }
}

/// `POST /pay/{id}/kcode/resend`: a new code.
pub async fn resend(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let payment = match open_payment(&state, &id).await {
        Ok(payment) => payment,
        Err(response) => return response,
    };
    match flows::kcode::resend(&state, &payment, EventSource::Cashier).await {
        Ok(Ok(payment)) => show(
            &state,
            &payment,
            "",
            "新验证码已发送，旧验证码作废。A new code is on its way; the old one no longer works.",
            Kept::default(),
        )
        .await,
        Ok(Err(refusal)) => answer_refusal(&state, &payment, refusal, Kept::default()).await,
        Err(error) => {
            tracing::warn!(%error, payment_id = %payment.id, "cashier: K-code resend failed");
            show(&state, &payment, UNAVAILABLE, "", Kept::default()).await
        }
    }
}

const UNAVAILABLE: &str =
    "银行暂时无法受理，请稍后再试。The bank cannot take the payment right now; please try again.";

/// A payment the consumer can still pay; anything else goes to the result page.
async fn open_payment(state: &AppState, id: &str) -> Result<Payment, Response> {
    let payment = load(state, id).await?;
    if payment.status.is_open() && state.now_ms() < payment.expires_at {
        Ok(payment)
    } else {
        Err(Redirect::to(&format!("/pay/{}/result", payment.id)).into_response())
    }
}

async fn answer_refusal(
    state: &AppState,
    payment: &Payment,
    refusal: KcodeRefusal,
    kept: Kept,
) -> Response {
    let text = match refusal {
        KcodeRefusal::AttemptsExhausted
        | KcodeRefusal::BillLimit
        | KcodeRefusal::NotAwaitingCode
            if !current_is_open(state, payment).await =>
        {
            return Redirect::to(&format!("/pay/{}/result", payment.id)).into_response();
        }
        KcodeRefusal::NotOffered | KcodeRefusal::ManualCapture => {
            return message(
                StatusCode::CONFLICT,
                "暂不支持K码支付 K-code payment unavailable",
                "请选择其他支付方式。Please choose another way to pay.",
                Some(&payment.id),
            );
        }
        KcodeRefusal::NotKcode | KcodeRefusal::NotAwaitingCode => {
            "请先发送验证码。Please ask for a code first.".to_string()
        }
        KcodeRefusal::BillRefused(_) => {
            "银行未受理该卡或手机号，请换一张卡。The bank did not accept this card or mobile; please try another card.".to_string()
        }
        KcodeRefusal::WrongCode { attempts_left: 1 } => {
            "验证码错误，还可尝试1次。Wrong code: 1 attempt left.".to_string()
        }
        KcodeRefusal::WrongCode { attempts_left } => format!(
            "验证码错误，还可尝试{attempts_left}次。Wrong code: {attempts_left} attempts left."
        ),
        KcodeRefusal::CodeExpired => {
            "验证码已过期，请重新获取。The code has expired; please ask for a new one.".to_string()
        }
        KcodeRefusal::AttemptsExhausted => {
            "验证码错误次数过多。Too many wrong codes.".to_string()
        }
        KcodeRefusal::BillLimit => {
            "尝试的银行卡过多，本次支付已失败。Too many cards tried: the payment failed.".to_string()
        }
        KcodeRefusal::ResendTooSoon { retry_after_s } => format!(
            "请{retry_after_s}秒后再获取验证码。Please wait {retry_after_s} s before asking for a new code."
        ),
        KcodeRefusal::ResendLimit => {
            "验证码发送次数已达上限。No more codes can be sent.".to_string()
        }
        KcodeRefusal::Refused(_) => {
            "银行拒绝了此次支付，请核对持卡人信息。The bank declined the payment; please check the card holder's details.".to_string()
        }
        KcodeRefusal::Unknown(_) => {
            "支付结果暂未确认，请稍后查看结果。The result is not confirmed yet; please check the result shortly.".to_string()
        }
    };
    show(state, payment, &text, "", kept).await
}

async fn current_is_open(state: &AppState, payment: &Payment) -> bool {
    matches!(state.store.get_payment(&payment.id).await, Ok(Some(p)) if p.status.is_open())
}

/// The page at the step the payment's K-code is at.
async fn show(
    state: &AppState,
    payment: &Payment,
    error: &str,
    notice: &str,
    kept: Kept,
) -> Response {
    match state.store.kcode_record(&payment.id).await {
        Ok(record) => page_with(state, payment, record.as_ref(), error, notice, kept).await,
        Err(error) => {
            tracing::error!(%error, "cashier: reading the K-code record failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "系统繁忙 Something went wrong",
                "请稍后再试。Please try again later.",
                Some(&payment.id),
            )
        }
    }
}

async fn page_with(
    state: &AppState,
    payment: &Payment,
    record: Option<&KcodeRecord>,
    error: &str,
    notice: &str,
    kept: Kept,
) -> Response {
    let code_sent = record.is_some_and(|r| r.status == KcodeStatus::CodeSent);
    let wait_s = record
        .and_then(|r| r.last_sent_at)
        .map(|sent| {
            let ready = sent
                + state
                    .config
                    .kcode
                    .min_resend_interval_s
                    .saturating_mul(1000);
            (ready - state.now_ms() + 999) / 1000
        })
        .unwrap_or(0)
        .clamp(0, MAX_COUNTDOWN_S);
    let merchant_name = merchant_name(state, payment).await;
    let mut response = render(KcodePage {
        payment_id: &payment.id,
        merchant_name,
        deadline: beijing_time(payment.expires_at),
        subject: &payment.subject,
        amount_yuan: payment.amount.to_display_yuan(),
        code_sent,
        card_masked: record.map(|r| r.card_masked.as_str()).unwrap_or(""),
        mobile_masked: record.map(|r| r.mobile_masked.as_str()).unwrap_or(""),
        certificate_types: CERTIFICATE_TYPES,
        error,
        notice,
        kept,
        countdown: (0..wait_s)
            .map(|second| (second, wait_s - second))
            .collect(),
    });
    if !error.is_empty() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    // What the consumer typed may be on it: never kept by a browser or a proxy.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    response
}
