//! Pre-authorization (预授权): a `PayReq` with `Order.PayTypeID` `PreAuthPay` is authorized,
//! not paid, when the consumer pays on the bank's page (or through `/sim/orders/{no}/pay`); the
//! result notification goes out as for a payment, so the merchant learns of the authorization.
//! The merchant then sends `PreAuthCancelConfirm` once, its fields inside `Order{…}` as ABC's
//! client sends them: `Confirm` captures part or all of the authorized amount, `Cancel`
//! releases it and must carry the amount held (OrderAmount > 0 also for a Cancel, or the
//! client would not send it; another amount is refused `2334`, **assumed**). The answer
//! carries the SDK's `VouchNo`.
//!
//! Query's Status: `07` confirmed, `00` cancelled (the protocol's codes). **Assumed**: an
//! authorization neither confirmed nor cancelled answers `04` with PayTypeID `PreAuthPay` (the
//! protocol has no code of its own for it), and a confirmed one that is refunded in full `05`.
//! A confirmed pre-authorization can be refunded up to the captured amount, and statements show
//! the capture as a `支付` line of the captured amount at the confirmation's host time, serial
//! and accounting date (**assumed**: money moves at the capture, not at the authorization).
//!
//! Rules ([`rules`]): the operation's OrderNo is new (sent again with the same OperateType,
//! OriginalOrderNo and OrderAmount it gets the first answer again; otherwise `2301`); the
//! original must be the merchant's (`2308`), a PreAuthPay order that was authorized (`2333`),
//! neither confirmed (`2331`) nor cancelled (`2330`); a Confirm captures more than 0 and at most
//! the authorized amount (`2332`).

pub mod record;
pub mod rules;

use crate::answer;
use crate::clock::now_china;
use crate::codes;
use crate::fields::{chars_at_most, is_date, is_time};
use crate::ids::is_order_no;
use crate::messages::{self, preauth::PreAuthRequest};
use crate::state::Inner;
use crate::wire::names;
use record::{OperateType, PreAuthOp};
use rules::OperationAsk;
use serde_json::Value;
use unipay_core::money::{Amount, format_yuan, parse_yuan_to_fen};

const TRX: &str = "PreAuthCancelConfirm";
const MAX_REMARKS_CHARS: usize = 100;

/// `PreAuthCancelConfirm`: validates, applies, answers M.
pub fn cancel_confirm(sim: &Inner, merchant_id: &str, request: &Value) -> String {
    let Some(order) = request.get("Order") else {
        return answer::bad_field(merchant_id, "Order");
    };
    let Ok(fields) = messages::read::<PreAuthRequest>(order) else {
        return answer::bad_field(merchant_id, "Order");
    };
    let ask = match validate(merchant_id, &fields) {
        Ok(ask) => ask,
        Err(field) => return answer::bad_field(merchant_id, field),
    };
    let now = now_china();
    let result = rules::operate(&mut sim.orders(), &ask, || {
        crate::stamp::Stamp::new(sim, now)
    });
    match result {
        Ok(operation) => response(&ask, &operation),
        Err(code) => answer::refusal(merchant_id, code),
    }
}

/// The operation asked for, or the name of the first bad field.
fn validate<'a>(
    merchant_id: &'a str,
    fields: &'a PreAuthRequest,
) -> Result<OperationAsk<'a>, &'static str> {
    let operate_type = OperateType::parse(&fields.operate_type).ok_or("OperateType")?;
    if !is_date(&fields.order_date) {
        return Err("OrderDate");
    }
    if !is_time(&fields.order_time) {
        return Err("OrderTime");
    }
    if !is_order_no(&fields.order_no) {
        return Err("OrderNo");
    }
    if !is_order_no(&fields.original_order_no) {
        return Err("OriginalOrderNo");
    }
    if fields.currency_code != "156" {
        return Err("CurrencyCode");
    }
    // A Confirm names what it captures, a Cancel the amount held: more than 0 for both.
    let amount_fen = Amount::parse_yuan(&fields.order_amount)
        .map_err(|_| "OrderAmount")?
        .fen();
    if amount_fen <= 0 {
        return Err("OrderAmount");
    }
    let amount_fen = Some(amount_fen);
    let fee_fen = match fields.fee.as_str() {
        "" => None,
        fee => Some(
            parse_yuan_to_fen(fee)
                .ok()
                .filter(|fen| *fen > 0)
                .ok_or("Fee")?,
        ),
    };
    if !chars_at_most(&fields.merchant_remarks, MAX_REMARKS_CHARS) {
        return Err("MerchantRemarks");
    }
    Ok(OperationAsk {
        merchant_id,
        operate_type,
        order_no: &fields.order_no,
        original_order_no: &fields.original_order_no,
        amount_fen,
        fee_fen,
    })
}

/// M of a successful operation (VouchNo is the SDK's name; the rest assumed).
fn response(ask: &OperationAsk<'_>, operation: &PreAuthOp) -> String {
    let stamp = &operation.stamp;
    answer::object(
        ask.merchant_id,
        answer::head(ask.merchant_id, TRX, codes::SUCCESS)
            .s(names::OPERATE_TYPE, operation.operate_type.name())
            .s(names::ORDER_NO, &operation.order_no)
            .s(names::ORIGINAL_ORDER_NO, ask.original_order_no)
            .s(names::ORDER_AMOUNT, &format_yuan(operation.amount_fen))
            .s("VouchNo", &stamp.voucher_no)
            .s(names::I_RSP_REF, &stamp.i_rsp_ref)
            .s(names::BATCH_NO, &stamp.batch_no)
            .s(names::HOST_DATE, &stamp.host_date)
            .s(names::HOST_TIME, &stamp.host_time),
    )
}
