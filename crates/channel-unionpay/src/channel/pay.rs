//! Starting a payment: the consume (`01/01`) or pre-authorisation (`02/01`) request, signed
//! here and posted by the payer's browser to the gateway's front address. There is no answer to
//! read: whether UnionPay took the order is known by its notifications or by query.

use super::account::{FRONT_PATH, UnionPayAccount};
use super::record::txn_time;
use crate::messages::{ChannelType, FrontPayment, FrontPaymentKind, OrderId};
use crate::signing::sign;
use unipay_core::channel::{CaptureMode, ChannelError, PaymentRedirect, PaymentRequest};

/// Where the payer's browser brings the front notification back: beside the back
/// notification's address, which is the request's `result_notify_url`.
pub fn front_url(result_notify_url: &str) -> String {
    format!("{}/front", result_notify_url.trim_end_matches('/'))
}

pub(super) fn start(
    account: &UnionPayAccount,
    request: &PaymentRequest,
) -> Result<PaymentRedirect, ChannelError> {
    // Nothing reaches the bank when the request cannot be built.
    let refused = |e: &dyn std::fmt::Display| {
        ChannelError::Unreachable(format!("payment request not built: {e}"))
    };
    let channel = match request.payment_type.as_str() {
        "08" => ChannelType::Mobile,
        _ => ChannelType::Desktop,
    };
    let payment = FrontPayment {
        kind: match request.capture {
            CaptureMode::Immediate => FrontPaymentKind::Consume,
            CaptureMode::Manual => FrontPaymentKind::PreAuthorization,
        },
        channel,
        order_id: OrderId::new(&request.order_no).map_err(|e| refused(&e))?,
        // The order's creation, not now: every later query names the order by this time, and
        // the payment keeps it (as `created_at`) where a separate send time would need a row.
        txn_time: txn_time(request.created_at_ms).map_err(|e| refused(&e))?,
        amount: request.amount,
        front_url: front_url(&request.result_notify_url),
        back_url: request.result_notify_url.clone(),
        pay_timeout: Some(txn_time(request.expires_at_ms).map_err(|e| refused(&e))?),
        req_reserved: None,
        issuer_code: None,
    };
    let mut fields = payment.fields(&account.merchant);
    sign(&mut fields, account.signer.as_ref()).map_err(|e| refused(&e))?;
    Ok(PaymentRedirect::PostForm {
        action: account.url(FRONT_PATH),
        fields: fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    })
}
