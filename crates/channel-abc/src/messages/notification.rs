//! The payment result notification's M: flat XML, `<TrxType>PayResult</TrxType>`.

use super::result_xml::{self, ResultFields};
use super::{EC_MERCHANT_TYPE, MessageError};
use unipay_core::Amount;

/// The platform's payment result, as the simulator builds it (every value wire text).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PayResultNotification {
    pub return_code: String,
    pub error_message: String,
    pub merchant_id: String,
    pub order_no: String,
    /// Yuan, two decimals.
    pub amount: String,
    pub batch_no: String,
    pub voucher_no: String,
    /// `YYYY/MM/DD`, the host's date of the payment.
    pub host_date: String,
    /// `HH:MM:SS`.
    pub host_time: String,
    pub merchant_remarks: String,
    pub pay_type: String,
    /// `0` page, `1` server.
    pub notify_type: String,
    pub i_rsp_ref: String,
}

impl PayResultNotification {
    /// M, in the order of the accepted vector; every value XML-escaped.
    pub fn to_xml(&self) -> String {
        let fields: [(&str, &str); 15] = [
            ("ReturnCode", &self.return_code),
            ("ErrorMessage", &self.error_message),
            ("ECMerchantType", EC_MERCHANT_TYPE),
            ("MerchantID", &self.merchant_id),
            ("TrxType", "PayResult"),
            ("OrderNo", &self.order_no),
            ("Amount", &self.amount),
            ("BatchNo", &self.batch_no),
            ("VoucherNo", &self.voucher_no),
            ("HostDate", &self.host_date),
            ("HostTime", &self.host_time),
            ("MerchantRemarks", &self.merchant_remarks),
            ("PayType", &self.pay_type),
            ("NotifyType", &self.notify_type),
            ("iRspRef", &self.i_rsp_ref),
        ];
        result_xml::write(&fields)
    }
}

/// What a VERIFIED notification says, read and unescaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationFields {
    pub merchant_id: String,
    pub trx_type: String,
    pub order_no: String,
    pub amount: Amount,
    pub return_code: String,
    pub error_message: String,
    pub host_date: String,
    pub host_time: String,
    pub pay_type: String,
    pub notify_type: String,
    pub i_rsp_ref: String,
    pub batch_no: String,
    pub voucher_no: String,
    pub merchant_remarks: String,
}

impl NotificationFields {
    /// Reads M (the text inside `<Message>`). OrderNo, MerchantID, Amount and ReturnCode are
    /// required; the rest read as `""` when absent.
    pub fn from_xml(xml: &str) -> Result<NotificationFields, MessageError> {
        let fields = ResultFields::of(xml);
        let optional = |tag: &str| fields.optional(tag);
        let required = |tag: &'static str| fields.required(tag);
        let amount_text = required("Amount")?;
        let amount =
            Amount::parse_yuan(&amount_text).map_err(|e| MessageError::bad("Amount", e))?;
        Ok(NotificationFields {
            merchant_id: required("MerchantID")?,
            trx_type: optional("TrxType"),
            order_no: required("OrderNo")?,
            amount,
            return_code: required("ReturnCode")?,
            error_message: optional("ErrorMessage"),
            host_date: optional("HostDate"),
            host_time: optional("HostTime"),
            pay_type: optional("PayType"),
            notify_type: optional("NotifyType"),
            i_rsp_ref: optional("iRspRef"),
            batch_no: optional("BatchNo"),
            voucher_no: optional("VoucherNo"),
            merchant_remarks: optional("MerchantRemarks"),
        })
    }
}
