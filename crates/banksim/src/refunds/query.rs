//! A refund read back by `Query` under its NewOrderNo, as if it were an order (**assumed**: the
//! public material names no refund query; answering the refund's own number lets a merchant
//! resolve a Refund whose answer it lost).

use super::record::Refund;
use crate::messages::refund::RefundQueryOrder;
use unipay_core::money::format_yuan;

/// `PayTypeID` of a refund read as an order.
pub const PAY_TYPE_ID: &str = "Refund";

/// The detail of `refund` (of the order numbered `original_order_no`) at `now_ms`.
pub fn detail(refund: &Refund, original_order_no: &str, now_ms: i64) -> RefundQueryOrder {
    let stamp = refund.stamp();
    RefundQueryOrder {
        pay_type_id: PAY_TYPE_ID.to_string(),
        order_no: refund.new_order_no.to_string(),
        order_date: refund.order_date.clone(),
        order_time: refund.order_time.clone(),
        order_amount: format_yuan(refund.amount_fen),
        status: refund.status(now_ms).query_code().to_string(),
        i_rsp_ref: stamp.map(|s| s.i_rsp_ref.clone()).unwrap_or_default(),
        host_date: stamp.map(|s| s.host_date.clone()),
        host_time: stamp.map(|s| s.host_time.clone()),
        original_order_no: original_order_no.to_string(),
    }
}
