//! `PayReq`: the merchant registers an order and gets the PaymentURL for the consumer.

use crate::answer;
use crate::book::{NotifyType, Order, Status};
use crate::clock::new_token;
use crate::codes;
use crate::faults::FaultCounter;
use crate::ids::is_order_no;
use crate::state::Inner;
use crate::trx::text;
use crate::wire::names;
use chrono::{NaiveDate, NaiveTime};
use serde_json::Value;
use std::sync::Arc;
use unipay_core::money::Amount;

const TRX: &str = "PayReq";
const MAX_URL: usize = 1024;
const MAX_REMARKS_CHARS: usize = 100;

/// The validated fields of a PayReq (and of the order a K-code bill carries).
pub(crate) struct PayRequest<'a> {
    pub(crate) order_no: &'a str,
    pub(crate) amount: Amount,
    pay_type_id: &'a str,
    order_date: &'a str,
    order_time: &'a str,
    payment_type: &'a str,
    notify_type: NotifyType,
    notify_url: &'a str,
    remarks: &'a str,
}

/// Validates, registers, and answers M.
pub fn pay_req(sim: &Inner, merchant_id: &str, request: &Value) -> String {
    let fields = match validate(request) {
        Ok(fields) => fields,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    let token = match register(sim, merchant_id, &fields) {
        Ok(token) => token,
        Err(refusal) => return answer::refusal(merchant_id, refusal),
    };
    let payment_url = format!(
        "{}/ebus/PaymentModeNewAct.ebf?TOKEN={token}",
        sim.public_url
    );
    // The captured PayReq answer's fields and order.
    answer::object(
        merchant_id,
        answer::head(merchant_id, TRX, codes::SUCCESS)
            .s(names::ORDER_NO, fields.order_no)
            .s(names::ORDER_AMOUNT, &fields.amount.to_yuan_string())
            .s("OneQRForAll", "")
            .s("PaymentURL", &payment_url),
    )
}

/// The name of the first bad field, for the `2101` answer.
pub(crate) fn validate(request: &Value) -> Result<PayRequest<'_>, &'static str> {
    validate_order(request, true)
}

/// [`validate`], with `notified` false for a K-code bill, which has no NotifyType or
/// ResultNotifyURL: nobody is notified of a K-code payment, the answer (or Query) tells it.
pub(crate) fn validate_order(
    request: &Value,
    notified: bool,
) -> Result<PayRequest<'_>, &'static str> {
    let order = |name| text(request, &["Order", name]);
    let order_no = order("OrderNo")
        .filter(|no| is_order_no(no))
        .ok_or("OrderNo")?;
    let amount = order("OrderAmount")
        .and_then(|amount| Amount::parse_yuan(amount).ok())
        .ok_or("OrderAmount")?;
    if order("CurrencyCode") != Some("156") {
        return Err("CurrencyCode");
    }
    let pay_type_id = match order("PayTypeID") {
        None | Some("") => "ImmediatePay",
        Some(id @ ("ImmediatePay" | "PreAuthPay" | "DividedPay")) => id,
        Some(_) => return Err("PayTypeID"),
    };
    let order_date = order("OrderDate")
        .filter(|date| NaiveDate::parse_from_str(date, "%Y/%m/%d").is_ok() && date.len() == 10)
        .ok_or("OrderDate")?;
    let order_time = order("OrderTime")
        .filter(|time| NaiveTime::parse_from_str(time, "%H:%M:%S").is_ok() && time.len() == 8)
        .ok_or("OrderTime")?;
    let payment_type = text(request, &["PaymentType"])
        .filter(|kind| matches!(*kind, "1" | "3" | "6" | "7" | "A"))
        .ok_or("PaymentType")?;
    let (notify_type, notify_url) = if notified {
        let notify_type = match text(request, &["NotifyType"]) {
            Some("0") => NotifyType::Page,
            Some("1") => NotifyType::Server,
            _ => return Err("NotifyType"),
        };
        let notify_url = text(request, &["ResultNotifyURL"])
            .filter(|url| is_notify_url(url))
            .ok_or("ResultNotifyURL")?;
        (notify_type, notify_url)
    } else {
        (NotifyType::None, "")
    };
    let remarks = match text(request, &["MerchantRemarks"]) {
        None => "",
        Some(remarks) if remarks.chars().count() <= MAX_REMARKS_CHARS => remarks,
        Some(_) => return Err("MerchantRemarks"),
    };
    Ok(PayRequest {
        order_no,
        amount,
        pay_type_id,
        order_date,
        order_time,
        payment_type,
        notify_type,
        notify_url,
        remarks,
    })
}

/// An absolute http(s) URL with a host: the platform posts to it and browsers are sent to it.
fn is_notify_url(url: &str) -> bool {
    url.len() <= MAX_URL
        && reqwest::Url::parse(url).is_ok_and(|parsed| {
            matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some()
        })
}

/// Adds the order, or finds it again: the same OrderNo and amount while unpaid gets the same
/// PaymentURL (the merchant retried); otherwise the number is taken, also when the merchant
/// used it for a refund or a pre-authorization operation.
pub(crate) fn register(
    sim: &Inner,
    merchant_id: &str,
    fields: &PayRequest<'_>,
) -> Result<Arc<str>, (&'static str, &'static str)> {
    let mut book = sim.orders();
    if let Some(id) = book.find(merchant_id, fields.order_no) {
        let Some(existing) = book.get(id) else {
            return Err(codes::DUPLICATE_ORDER);
        };
        if existing.status.is_final() {
            return Err(codes::ORDER_FINAL);
        }
        if existing.amount_fen != fields.amount.fen() {
            return Err(codes::DUPLICATE_ORDER);
        }
        return Ok(existing.token.clone());
    }
    if book.number_taken(merchant_id, fields.order_no) {
        return Err(codes::DUPLICATE_ORDER);
    }
    let token: Arc<str> = new_token().into();
    book.insert(Order {
        merchant_id: merchant_id.into(),
        order_no: fields.order_no.into(),
        amount_fen: fields.amount.fen(),
        pay_type_id: fields.pay_type_id.to_string(),
        order_date: fields.order_date.to_string(),
        order_time: fields.order_time.to_string(),
        payment_type: fields.payment_type.to_string(),
        notify_type: fields.notify_type,
        notify_url: fields.notify_url.into(),
        merchant_remarks: fields.remarks.to_string(),
        token: token.clone(),
        status: Status::Unpaid,
        payment: None,
        query_count: 0,
        query_faults: FaultCounter::default(),
        refund_faults: FaultCounter::default(),
        notify_attempts: 0,
        notify_acknowledged: false,
        notify_log: Vec::new(),
        lost_calls: Vec::new(),
        statement_fault: None,
        refunds: Vec::new(),
        preauth: None,
    });
    Ok(token)
}
