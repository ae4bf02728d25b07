//! Consume (`01/01`) and pre-authorisation (`02/01`) through the payer's browser: the
//! merchant signs the fields and renders a form that posts them to `frontTransReq.do`
//! ([`crate::wire::auto_submit_form`]). There is no synchronous answer: the result comes by
//! back notification (only on success) and by query.

use super::common::{ChannelType, Merchant, OrderId, TxnTime, TxnType};
use super::names::*;
use crate::fields::Fields;
use unipay_core::money::Amount;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrontPaymentKind {
    /// 消费: the money is taken when the payer pays.
    Consume,
    /// 预授权: the amount is only held; completed (`03`) or released (`32`) later.
    PreAuthorization,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontPayment {
    pub kind: FrontPaymentKind,
    pub channel: ChannelType,
    pub order_id: OrderId,
    /// Now, Beijing time: the order is known by merId + orderId + txnTime from here on.
    pub txn_time: TxnTime,
    pub amount: Amount,
    /// Where the payer's browser returns ("返回商户"); not proof of payment.
    pub front_url: String,
    /// Where UnionPay posts the back notification.
    pub back_url: String,
    /// After this the payer can no longer pay, and a query answer is final.
    pub pay_timeout: Option<TxnTime>,
    /// Echoed in notification, query and reconciliation file (1–1024 bytes; avoid `&={}[]`).
    pub req_reserved: Option<String>,
    /// `issInsCode`: send the payer straight to one issuer's pages.
    pub issuer_code: Option<String>,
}

impl FrontPayment {
    /// The fields to sign and post, in the official demo's set.
    pub fn fields(&self, merchant: &Merchant) -> Fields {
        let txn_type = match self.kind {
            FrontPaymentKind::Consume => TxnType::Consume,
            FrontPaymentKind::PreAuthorization => TxnType::PreAuthorization,
        };
        let mut fields = merchant.base_fields(txn_type, "01", BIZ_GATEWAY);
        fields.set(CHANNEL_TYPE, self.channel.code());
        fields.set(ORDER_ID, self.order_id.as_str());
        fields.set(TXN_TIME, self.txn_time.as_str());
        fields.set(CURRENCY_CODE, CURRENCY_CNY);
        fields.set(TXN_AMT, self.amount.fen().to_string());
        fields.set(FRONT_URL, &self.front_url);
        fields.set(BACK_URL, &self.back_url);
        fields.set_optional(PAY_TIMEOUT, self.pay_timeout.as_ref().map(TxnTime::as_str));
        fields.set_optional(REQ_RESERVED, self.req_reserved.as_deref());
        fields.set_optional(ISS_INS_CODE, self.issuer_code.as_deref());
        fields
    }
}
