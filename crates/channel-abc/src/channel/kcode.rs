//! K-code payment: KPayVerifyReq (the bill), KPayReq (pay with the texted code) and
//! KPayResendReq (a new code), and their answers read into core's [`KcodeState`]. As for a
//! refund, the platform's refusal of the transaction is a result; a refusal of the message
//! itself stays an error.

use super::account::AbcAccount;
use super::answer::{self, Judged};
use super::mandates::check_certificate;
use super::pay::{pay_request, unfit, valid_order_no};
use super::time::{beijing_date_time, booked};
use super::{AbcChannel, http, raw_message, request};
use crate::messages::{
    CURRENCY_CNY, KPayCodeResponse, KPayOrder, KPayRequest, KPayResendRequest, KPayResponse,
    KPayVerifyOrder, KPayVerifyRequest, RETURN_CODE_RESEND_LIMIT,
    RETURN_CODE_VERIFY_ATTEMPTS_EXHAUSTED, RETURN_CODE_VERIFY_CODE_EXPIRED,
    RETURN_CODE_WRONG_VERIFY_CODE,
};
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, BoxFuture, ChannelError};
use unipay_core::kcode::{
    KcodeAnswer, KcodeBill, KcodeChannel, KcodeOrder, KcodePayment, KcodeState,
};

const VERIFY_TRX: &str = "KPayVerifyReq";
const PAY_TRX: &str = "KPayReq";
const RESEND_TRX: &str = "KPayResendReq";
const MAX_NAME_CHARS: usize = 60;

/// The typed KPayVerifyReq: the order as the bank's own client writes a K-code bill, with the
/// card number and only the last four digits of the mobile number (the bank texts the number
/// it holds for the card).
pub fn verify_request(
    account: &AbcAccount,
    bill: &KcodeBill,
) -> Result<KPayVerifyRequest, ChannelError> {
    if !is_digits(&bill.card_no, 12, 19) {
        return Err(unfit("card number must be 12 to 19 digits"));
    }
    let mobile = &bill.mobile_no;
    if !(is_digits(mobile, 11, 11) || is_digits(mobile, 4, 4)) {
        return Err(unfit("mobile number must be 11 digits, or its last four"));
    }
    let last4 = &mobile[mobile.len() - 4..];
    let pay = pay_request(account, &bill.order)?.trx_request;
    let order = pay.order;
    Ok(KPayVerifyRequest {
        trx_type: VERIFY_TRX.to_string(),
        card_no: bill.card_no.clone(),
        mobile_no: last4.to_string(),
        commodity_type: order.commodity_type,
        installment: "0".to_string(),
        payment_type: pay.payment_type,
        payment_link_type: pay.payment_link_type,
        receive_account: pay.receive_account,
        receive_acc_name: pay.receive_acc_name,
        merchant_remarks: pay.merchant_remarks,
        is_break_account: pay.is_break_account,
        split_acc_template: pay.split_acc_template,
        order: KPayVerifyOrder {
            pay_type_id: order.pay_type_id,
            order_timeout_date: order.order_timeout_date,
            order_no: order.order_no,
            currency_code: order.currency_code,
            order_amount: order.order_amount,
            expired_date: order.expired_date,
            order_desc: order.order_desc,
            order_date: order.order_date,
            order_time: order.order_time,
            receiver_address: order.receiver_address,
            buy_ip: order.buy_ip,
            order_items: order.order_items,
        },
    })
}

/// The order as KPayReq (with a Fee) and KPayResendReq (without) carry it.
fn kpay_order(order: &KcodeOrder, with_fee: bool) -> Result<KPayOrder, ChannelError> {
    if !valid_order_no(&order.order_no) {
        return Err(unfit("invalid order number"));
    }
    let (order_date, order_time) = beijing_date_time(order.created_at_ms)
        .ok_or_else(|| unfit("creation time out of range"))?;
    Ok(KPayOrder {
        order_no: order.order_no.clone(),
        currency_code: CURRENCY_CNY.to_string(),
        order_amount: order.amount.to_yuan_string(),
        fee: with_fee.then(String::new),
        order_date,
        order_time,
    })
}

/// The typed KPayReq.
pub fn pay_kcode_request(
    account: &AbcAccount,
    payment: &KcodePayment,
) -> Result<KPayRequest, ChannelError> {
    let order = kpay_order(&payment.order, true)?;
    if !is_digits(&payment.verify_code, 4, 8) {
        return Err(unfit("verification code must be 4 to 8 digits"));
    }
    let name = payment.account_name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, '"' | '\\' | '}' | '<'))
    {
        return Err(unfit("account name must be 1 to 60 plain characters"));
    }
    check_certificate(&payment.certificate_type, &payment.certificate_no)?;
    if !(payment.exp_date.is_empty() || is_digits(&payment.exp_date, 4, 4)) {
        return Err(unfit("expiry date must be MMYY"));
    }
    if !(payment.cvv2.is_empty() || is_digits(&payment.cvv2, 3, 3)) {
        return Err(unfit("CVV2 must be 3 digits"));
    }
    Ok(KPayRequest {
        trx_type: PAY_TRX.to_string(),
        acc_name: name.to_string(),
        certificate_type: payment.certificate_type.clone(),
        certificate_id: payment.certificate_no.clone(),
        exp_date: payment.exp_date.clone(),
        cvv2: payment.cvv2.clone(),
        verify_code: payment.verify_code.clone(),
        payment_type: payment.payment_type.clone(),
        pay_link_type: account.payment_link_type.clone(),
        merchant_remarks: String::new(),
        order,
    })
}

/// The typed KPayResendReq.
pub fn resend_request(order: &KcodeOrder) -> Result<KPayResendRequest, ChannelError> {
    Ok(KPayResendRequest {
        trx_type: RESEND_TRX.to_string(),
        order: kpay_order(order, false)?,
    })
}

fn is_digits(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// A non-success ReturnCode of any K-code transaction, as the state it reports.
fn refused_state(code: &str, message: &str) -> Result<KcodeState, ChannelError> {
    let reason = || format!("{code}: {message}");
    Ok(match answer::judged(code, message)? {
        Judged::Unknown { reason } => KcodeState::Unknown { reason },
        Judged::Refused { .. } if code == RETURN_CODE_WRONG_VERIFY_CODE => {
            KcodeState::WrongCode { reason: reason() }
        }
        Judged::Refused { .. } if code == RETURN_CODE_VERIFY_CODE_EXPIRED => {
            KcodeState::CodeExpired { reason: reason() }
        }
        Judged::Refused { .. } if code == RETURN_CODE_VERIFY_ATTEMPTS_EXHAUSTED => {
            KcodeState::AttemptsExhausted { reason: reason() }
        }
        Judged::Refused { .. } if code == RETURN_CODE_RESEND_LIMIT => {
            KcodeState::ResendLimit { reason: reason() }
        }
        Judged::Refused { code, reason } => KcodeState::Refused { code, reason },
    })
}

/// The answer to a bill or a resend: the code is on its way, or why not.
pub(super) fn read_code_answer(
    account: &AbcAccount,
    trx_type: &str,
    order_no: &str,
    body: &[u8],
) -> Result<KcodeState, ChannelError> {
    let (message, success) = answer::open_checked::<KPayCodeResponse>(account, body, trx_type)?;
    let r = &message.trx_response;
    if !success {
        return refused_state(&r.return_code, &r.error_message);
    }
    if !r.order_no.is_empty() && r.order_no.trim() != order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for order {:?}, not {order_no:?}",
            r.order_no
        )));
    }
    Ok(KcodeState::CodeSent)
}

/// The answer to a KPayReq: paid (with the bank's serial and host time), or why not.
pub(super) fn read_pay_answer(
    account: &AbcAccount,
    payment: &KcodePayment,
    body: &[u8],
    now_ms: i64,
) -> Result<KcodeState, ChannelError> {
    let (message, success) = answer::open_checked::<KPayResponse>(account, body, PAY_TRX)?;
    let r = &message.trx_response;
    if !success {
        return refused_state(&r.return_code, &r.error_message);
    }
    let order = &payment.order;
    if !r.order_no.is_empty() && r.order_no.trim() != order.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for order {:?}, not {:?}",
            r.order_no, order.order_no
        )));
    }
    let amount = Amount::parse_yuan(r.order_amount.trim())
        .map_err(|e| ChannelError::BadAnswer(format!("OrderAmount: {e}")))?;
    if amount != order.amount {
        return Err(ChannelError::BadAnswer(format!(
            "answer paid {amount}, the order is {}",
            order.amount
        )));
    }
    let serial = r.i_rsp_ref.trim();
    if serial.is_empty() {
        return Err(ChannelError::BadAnswer("answer has no iRspRef".to_string()));
    }
    let (paid_at_ms, accounting_date) =
        booked(&r.host_date, &r.host_time, now_ms, account.cutover_hour)
            .ok_or_else(|| ChannelError::BadAnswer("payment time out of range".to_string()))?;
    Ok(KcodeState::Paid(BankPaid {
        amount,
        channel_trade_no: serial.to_string(),
        paid_at_ms,
        accounting_date,
    }))
}

impl KcodeChannel for AbcChannel {
    fn send_bill<'a>(
        &'a self,
        bill: &'a KcodeBill,
    ) -> BoxFuture<'a, Result<KcodeAnswer, ChannelError>> {
        Box::pin(async move {
            let trx = verify_request(&self.account, bill)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state = read_code_answer(&self.account, VERIFY_TRX, &bill.order.order_no, &answer)?;
            Ok(KcodeAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }

    fn pay<'a>(
        &'a self,
        payment: &'a KcodePayment,
    ) -> BoxFuture<'a, Result<KcodeAnswer, ChannelError>> {
        Box::pin(async move {
            let trx = pay_kcode_request(&self.account, payment)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state = read_pay_answer(&self.account, payment, &answer, self.clock.now_ms())?;
            Ok(KcodeAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }

    fn resend_code<'a>(
        &'a self,
        order: &'a KcodeOrder,
    ) -> BoxFuture<'a, Result<KcodeAnswer, ChannelError>> {
        Box::pin(async move {
            let trx = resend_request(order)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state = read_code_answer(&self.account, RESEND_TRX, &order.order_no, &answer)?;
            Ok(KcodeAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }
}

#[cfg(test)]
mod tests;
