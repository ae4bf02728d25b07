//! The PayResult notification: XML M (channel-abc's `PayResultNotification`), signed over its
//! GB2312/GBK bytes, base64 of the envelope.

use crate::book::NotifyType;
use crate::codes;
use crate::settle::{Notice, Outcome};
use crate::state::Inner;
use unipay_channel_abc::messages::PayResultNotification;
use unipay_channel_abc::wire::build_notification;
use unipay_core::money::format_yuan;

/// M. `notify_type` says which path carries this copy: `0` the browser, `1` the platform's
/// server, so the merchant can tell them apart.
pub fn message_xml(notice: &Notice, notify_type: NotifyType) -> String {
    let (code, text) = match notice.outcome {
        Outcome::Success => codes::SUCCESS,
        Outcome::Decline => codes::DECLINED,
    };
    let payment = &notice.payment;
    PayResultNotification {
        return_code: code.to_string(),
        error_message: text.to_string(),
        merchant_id: notice.merchant_id.to_string(),
        order_no: notice.order_no.to_string(),
        amount: format_yuan(notice.amount_fen),
        batch_no: payment.batch_no.clone(),
        voucher_no: payment.voucher_no.clone(),
        host_date: payment.host_date.clone(),
        host_time: payment.host_time.clone(),
        merchant_remarks: gbk_text(&notice.merchant_remarks),
        pay_type: payment.pay_type.to_string(),
        notify_type: notify_type.code().to_string(),
        i_rsp_ref: payment.i_rsp_ref.clone(),
    }
    .to_xml()
}

/// The `MSG` value (base64, not yet form-encoded).
pub fn signed(sim: &Inner, notice: &Notice, notify_type: NotifyType) -> String {
    build_notification(&message_xml(notice, notify_type), &sim.key, sim.algorithm)
}

/// Drops what GBK cannot encode (the signature covers the GB2312 bytes, so such a character
/// cannot appear) and control characters. Only MerchantRemarks, which the merchant wrote, can
/// contain either; XML escaping is `to_xml`'s job.
fn gbk_text(text: &str) -> String {
    let mut buffer = [0u8; 4];
    text.chars()
        .filter(|c| !c.is_control())
        .filter(|c| c.is_ascii() || !encoding_rs::GBK.encode(c.encode_utf8(&mut buffer)).2)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_what_gbk_cannot_carry() {
        assert_eq!(gbk_text("a<b>&备注😀\n"), "a<b>&备注");
    }
}
