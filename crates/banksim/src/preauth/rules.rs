//! What a confirmation or cancellation does to a pre-authorized order (see [`super`]).

use super::record::{OperateType, PreAuthOp};
use crate::book::{OrderBook, Status};
use crate::codes;
use crate::refunds::record::Code;
use crate::stamp::Stamp;

/// A confirmation or cancellation asked for, its fields already checked for shape.
#[derive(Debug, Clone)]
pub struct OperationAsk<'a> {
    pub merchant_id: &'a str,
    pub operate_type: OperateType,
    /// The operation's own number.
    pub order_no: &'a str,
    pub original_order_no: &'a str,
    /// OrderAmount; `None` only for a Cancel that gave none.
    pub amount_fen: Option<i64>,
    pub fee_fen: Option<i64>,
}

/// PayTypeID of a pre-authorization.
pub const PRE_AUTH_PAY: &str = "PreAuthPay";

/// Carries out the operation, or finds it again when the request repeats one; `stamp` is
/// called only for an operation that happens now. Returns the operation's record.
pub fn operate(
    book: &mut OrderBook,
    ask: &OperationAsk<'_>,
    stamp: impl FnOnce() -> Stamp,
) -> Result<PreAuthOp, Code> {
    if let Some(id) = book.find_operation(ask.merchant_id, ask.order_no) {
        let order = book.get(id).ok_or(codes::ORDER_NOT_FOUND)?;
        let operation = order.preauth.as_ref().ok_or(codes::ORDER_NOT_FOUND)?;
        let same = operation.operate_type == ask.operate_type
            && &*order.order_no == ask.original_order_no
            && operation.requested_fen == ask.amount_fen;
        return if same {
            Ok(operation.clone())
        } else {
            Err(codes::DUPLICATE_ORDER)
        };
    }
    if book.number_taken(ask.merchant_id, ask.order_no) {
        return Err(codes::DUPLICATE_ORDER);
    }
    let id = book
        .find(ask.merchant_id, ask.original_order_no)
        .ok_or(codes::ORDER_NOT_FOUND)?;
    let order = book.get(id).ok_or(codes::ORDER_NOT_FOUND)?;
    if order.pay_type_id != PRE_AUTH_PAY {
        return Err(codes::NOT_AUTHORIZED);
    }
    match order.status {
        Status::Authorized => {}
        Status::Confirmed => return Err(codes::PREAUTH_CONFIRMED),
        Status::Cancelled => return Err(codes::PREAUTH_CANCELLED),
        Status::Unpaid | Status::Paid | Status::Failed => return Err(codes::NOT_AUTHORIZED),
    }
    let (amount_fen, status) = match ask.operate_type {
        OperateType::Confirm => {
            let amount_fen = ask.amount_fen.ok_or(codes::OVER_AUTHORIZED)?;
            if amount_fen <= 0 || amount_fen > order.amount_fen {
                return Err(codes::OVER_AUTHORIZED);
            }
            (amount_fen, Status::Confirmed)
        }
        OperateType::Cancel => {
            if ask.amount_fen.is_some_and(|fen| fen != order.amount_fen) {
                return Err(codes::CANCEL_AMOUNT);
            }
            (order.amount_fen, Status::Cancelled)
        }
    };
    let operation = PreAuthOp {
        operate_type: ask.operate_type,
        order_no: ask.order_no.into(),
        amount_fen,
        requested_fen: ask.amount_fen,
        fee_fen: ask.fee_fen,
        stamp: stamp(),
    };
    if let Some(order) = book.get_mut(id) {
        order.status = status;
    }
    if book.set_operation(id, operation.clone()) {
        Ok(operation)
    } else {
        Err(codes::ORDER_NOT_FOUND)
    }
}
