//! PayReq: from core's `PaymentRequest` to the signed body, and from the answer to the URL.

use super::account::AbcAccount;
use super::answer;
use super::time::{beijing_date_time, beijing_stamp};
use crate::messages::{
    CURRENCY_CNY, OrderItem, PAY_TYPE_IMMEDIATE, PAY_TYPE_PREAUTH, PayOrder, PayRequest,
    PayResponse, RequestMessage,
};
use crate::wire::{MAX_MESSAGE_BYTES, build_request};
use unipay_core::Amount;
use unipay_core::channel::{CaptureMode, ChannelError, PaymentRedirect, PaymentRequest};

/// OrderDesc and ProductName are shown on the bank's page; long subjects are cut (on a
/// character boundary) well inside what the platform stores.
pub const MAX_SUBJECT_CHARS: usize = 60;
const MAX_ORDER_NO: usize = 60;
const MAX_URL: usize = 512;

/// What the real client calls 1100/1101: our own request is unfit, it is never sent.
pub(super) fn unfit(message: impl Into<String>) -> ChannelError {
    ChannelError::Refused {
        code: "1100".to_string(),
        message: message.into(),
    }
}

pub(super) fn valid_order_no(order_no: &str) -> bool {
    !order_no.is_empty()
        && order_no.len() <= MAX_ORDER_NO
        && order_no
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// At most `max` characters of `text`, control characters dropped (they would only garble the
/// bank's pages and records).
pub(super) fn truncate_chars(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// The typed PayReq for `request`.
pub fn pay_request(
    account: &AbcAccount,
    request: &PaymentRequest,
) -> Result<RequestMessage<PayRequest>, ChannelError> {
    if !valid_order_no(&request.order_no) {
        return Err(unfit(
            "order number must be 1 to 60 letters, digits, - or _",
        ));
    }
    if !account.payment_types.contains(&request.payment_type) {
        return Err(unfit(format!(
            "payment type {:?} is not offered",
            request.payment_type
        )));
    }
    let url = &request.result_notify_url;
    if url.len() > MAX_URL || !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(unfit("result notify URL must be an http(s) URL"));
    }
    let (order_date, order_time) = beijing_date_time(request.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    // orderTimeoutDate: the platform stops taking the payment after it (yyyyMMddHHmmss).
    let order_timeout_date = if request.expires_at_ms > request.created_at_ms {
        beijing_stamp(request.expires_at_ms).ok_or_else(|| unfit("expiry time out of range"))?
    } else {
        String::new()
    };
    let subject = truncate_chars(&request.subject, MAX_SUBJECT_CHARS);
    let amount = request.amount.to_yuan_string();
    let buy_ip = request.buyer_ip.clone().unwrap_or_default();
    let trx = PayRequest {
        trx_type: "PayReq".to_string(),
        payment_type: request.payment_type.clone(),
        payment_link_type: account.payment_link_type.clone(),
        receive_account: String::new(),
        receive_acc_name: String::new(),
        notify_type: account.notify_type.code().to_string(),
        result_notify_url: url.clone(),
        merchant_remarks: String::new(),
        is_break_account: "0".to_string(),
        split_acc_template: String::new(),
        order: PayOrder {
            pay_type_id: pay_type_id(request.capture).to_string(),
            order_date,
            order_time,
            order_timeout_date,
            order_no: request.order_no.clone(),
            currency_code: CURRENCY_CNY.to_string(),
            order_amount: amount.clone(),
            fee: String::new(),
            account_no: String::new(),
            order_desc: subject.clone(),
            order_url: String::new(),
            receiver_address: String::new(),
            installment_mark: "0".to_string(),
            commodity_type: account.commodity_type.clone(),
            buy_ip: if buy_ip.len() <= 64 {
                buy_ip
            } else {
                String::new()
            },
            expired_date: account.order_keep_days.to_string(),
            order_items: vec![OrderItem {
                product_name: subject,
                unit_price: amount,
                qty: "1".to_string(),
                ..OrderItem::default()
            }],
        },
    };
    Ok(RequestMessage::new(&account.merchant_id, trx))
}

/// `PayTypeID`: a payment taken later is a pre-authorization.
fn pay_type_id(capture: CaptureMode) -> &'static str {
    match capture {
        CaptureMode::Immediate => PAY_TYPE_IMMEDIATE,
        CaptureMode::Manual => PAY_TYPE_PREAUTH,
    }
}

pub(super) fn request_body(
    account: &AbcAccount,
    request: &PaymentRequest,
) -> Result<Vec<u8>, ChannelError> {
    let json = pay_request(account, request)?
        .to_json()
        .map_err(|e| unfit(e.to_string()))?;
    let body = build_request(&json, &account.key, account.algorithm);
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(unfit("request exceeds 8,000 bytes"));
    }
    Ok(body)
}

pub(super) fn read_answer(
    account: &AbcAccount,
    request: &PaymentRequest,
    body: &[u8],
) -> Result<PaymentRedirect, ChannelError> {
    let (message, success) = answer::open_checked::<PayResponse>(account, body, "PayReq")?;
    let r = &message.trx_response;
    if !success {
        return Err(answer::refusal(&r.return_code, &r.error_message));
    }
    if r.order_no != request.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for order {:?}, not {:?}",
            r.order_no, request.order_no
        )));
    }
    if !r.order_amount.is_empty()
        && Amount::parse_yuan(&r.order_amount).ok() != Some(request.amount)
    {
        return Err(ChannelError::BadAnswer(format!(
            "answer amount {:?} differs",
            r.order_amount
        )));
    }
    let url = r.payment_url.trim();
    if url.len() > 2_048 || !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(ChannelError::BadAnswer(
            "answer has no usable PaymentURL".to_string(),
        ));
    }
    Ok(PaymentRedirect::Url(url.to_string()))
}
