//! The PayResult notification: XML M in the captured notification's field order, signed over
//! its GB2312 bytes (see [`crate::wire::notification`]), base64 of the GBK envelope.

use crate::book::NotifyType;
use crate::codes;
use crate::settle::{Notice, Outcome};
use crate::state::Inner;
use crate::wire::{gbk_only, names, notification, xml};
use unipay_core::money::format_yuan;

/// M. `notify_type` says which path carries this copy: `0` the browser, `1` the platform's
/// server, so the merchant can tell them apart. MerchantRemarks, which the merchant wrote, is
/// written raw (see [`crate::wire::xml`]) without what GBK cannot carry.
pub fn message_xml(notice: &Notice, notify_type: NotifyType) -> String {
    let (code, text) = match notice.outcome {
        Outcome::Success => codes::SUCCESS,
        Outcome::Decline => codes::DECLINED,
    };
    let payment = &notice.payment;
    let amount = format_yuan(notice.amount_fen);
    let remarks = gbk_only(&notice.merchant_remarks);
    xml::result_message(&[
        (names::RETURN_CODE, code),
        (names::ERROR_MESSAGE, text),
        (names::EC_MERCHANT_TYPE, "EBUS"),
        (names::MERCHANT_ID, &notice.merchant_id),
        (names::TRX_TYPE, "PayResult"),
        (names::ORDER_NO, &notice.order_no),
        (names::AMOUNT, &amount),
        (names::BATCH_NO, &payment.batch_no),
        (names::VOUCHER_NO, &payment.voucher_no),
        (names::HOST_DATE, &payment.host_date),
        (names::HOST_TIME, &payment.host_time),
        ("MerchantRemarks", &remarks),
        (names::PAY_TYPE, payment.pay_type),
        (names::NOTIFY_TYPE, notify_type.code()),
        (names::I_RSP_REF, &payment.i_rsp_ref),
    ])
}

/// The `MSG` value (base64, not yet form-encoded).
pub fn signed(sim: &Inner, notice: &Notice, notify_type: NotifyType) -> String {
    notification::seal(&message_xml(notice, notify_type), &sim.key, sim.algorithm)
}
