//! K-code payment: KPayVerifyReq (the bill), KPayReq (pay with the texted code) and
//! KPayResendReq (a new code), and their answers read into core's [`KcodeState`]. As for a
//! refund, the platform's refusal of the transaction is a result; a refusal of the message
//! itself stays an error.

use super::account::AbcAccount;
use super::answer::{self, Judged};
use super::pay::{pay_request, unfit, valid_order_no};
use super::time::booked;
use super::{AbcChannel, http, raw_message, request};
use crate::messages::{
    KPayCodeResponse, KPayRequest, KPayResendRequest, KPayResponse, KPayVerifyRequest,
    RETURN_CODE_RESEND_LIMIT, RETURN_CODE_VERIFY_ATTEMPTS_EXHAUSTED,
    RETURN_CODE_VERIFY_CODE_EXPIRED, RETURN_CODE_WRONG_VERIFY_CODE,
};
use unipay_core::Amount;
use unipay_core::channel::{BankPaid, BoxFuture, ChannelError};
use unipay_core::kcode::{KcodeAnswer, KcodeBill, KcodeChannel, KcodePayment, KcodeState};

const VERIFY_TRX: &str = "KPayVerifyReq";
const PAY_TRX: &str = "KPayReq";
const RESEND_TRX: &str = "KPayResendReq";
/// ABC certificate types (CertificateType).
const CERTIFICATE_TYPES: &[&str] = &["I", "P", "K", "D", "W", "U"];
const MAX_NAME_CHARS: usize = 60;

/// The typed KPayVerifyReq: the order exactly as a PayReq would carry it, then the card and
/// the mobile.
pub fn verify_request(
    account: &AbcAccount,
    bill: &KcodeBill,
) -> Result<KPayVerifyRequest, ChannelError> {
    if !is_digits(&bill.card_no, 12, 19) {
        return Err(unfit("card number must be 12 to 19 digits"));
    }
    if !is_digits(&bill.mobile_no, 11, 11) {
        return Err(unfit("mobile number must be 11 digits"));
    }
    let pay = pay_request(account, &bill.order)?.trx_request;
    Ok(KPayVerifyRequest {
        trx_type: VERIFY_TRX.to_string(),
        payment_type: pay.payment_type,
        payment_link_type: pay.payment_link_type,
        notify_type: pay.notify_type,
        result_notify_url: pay.result_notify_url,
        merchant_remarks: pay.merchant_remarks,
        card_no: bill.card_no.clone(),
        mobile_no: bill.mobile_no.clone(),
        order: pay.order,
    })
}

/// The typed KPayReq.
pub fn pay_kcode_request(payment: &KcodePayment) -> Result<KPayRequest, ChannelError> {
    if !valid_order_no(&payment.order_no) {
        return Err(unfit("invalid order number"));
    }
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
    if !CERTIFICATE_TYPES.contains(&payment.certificate_type.as_str()) {
        return Err(unfit("certificate type must be one of I, P, K, D, W, U"));
    }
    let id = &payment.certificate_no;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(unfit(
            "certificate number must be 1 to 32 letters or digits",
        ));
    }
    if !(payment.exp_date.is_empty() || is_digits(&payment.exp_date, 4, 4)) {
        return Err(unfit("expiry date must be MMYY"));
    }
    if !(payment.cvv2.is_empty() || is_digits(&payment.cvv2, 3, 3)) {
        return Err(unfit("CVV2 must be 3 digits"));
    }
    Ok(KPayRequest {
        trx_type: PAY_TRX.to_string(),
        order_no: payment.order_no.clone(),
        verify_code: payment.verify_code.clone(),
        acc_name: name.to_string(),
        certificate_type: payment.certificate_type.clone(),
        certificate_id: id.clone(),
        exp_date: payment.exp_date.clone(),
        cvv2: payment.cvv2.clone(),
    })
}

/// The typed KPayResendReq.
pub fn resend_request(order_no: &str) -> Result<KPayResendRequest, ChannelError> {
    if !valid_order_no(order_no) {
        return Err(unfit("invalid order number"));
    }
    Ok(KPayResendRequest {
        trx_type: RESEND_TRX.to_string(),
        order_no: order_no.to_string(),
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
    if r.order_no != order_no {
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
    if r.order_no != payment.order_no {
        return Err(ChannelError::BadAnswer(format!(
            "answer is for order {:?}, not {:?}",
            r.order_no, payment.order_no
        )));
    }
    let amount = Amount::parse_yuan(r.amount.trim())
        .map_err(|e| ChannelError::BadAnswer(format!("Amount: {e}")))?;
    if amount != payment.amount {
        return Err(ChannelError::BadAnswer(format!(
            "answer paid {amount}, the order is {}",
            payment.amount
        )));
    }
    let (paid_at_ms, accounting_date) =
        booked(&r.host_date, &r.host_time, now_ms, account.cutover_hour)
            .ok_or_else(|| ChannelError::BadAnswer("payment time out of range".to_string()))?;
    Ok(KcodeState::Paid(BankPaid {
        amount,
        channel_trade_no: r.i_rsp_ref.trim().to_string(),
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
            let trx = pay_kcode_request(payment)?;
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
        order_no: &'a str,
    ) -> BoxFuture<'a, Result<KcodeAnswer, ChannelError>> {
        Box::pin(async move {
            let trx = resend_request(order_no)?;
            let body = request::signed(&self.account, &trx)?;
            let answer = http::post(&self.http, &self.account.trx_url, body).await?;
            let state = read_code_answer(&self.account, RESEND_TRX, order_no, &answer)?;
            Ok(KcodeAnswer {
                state,
                raw: raw_message(&answer),
            })
        })
    }
}

#[cfg(test)]
mod tests;
