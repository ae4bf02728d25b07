//! One statement line: what the bank shows for one transaction, after any statement fault.

use super::accounts::{masked_card, merchant_account};
use chrono::{NaiveDate, NaiveDateTime};
use std::sync::Arc;
use unipay_core::money::format_yuan;

/// 账户类型: every simulated consumer pays with an ABC debit card.
const ACCOUNT_TYPE: &str = "401";
/// 商户分期手续费: the simulator sells nothing in instalments.
const INSTALMENT_FEE: &str = "0.00";

/// 交易类型.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// `支付`: money in.
    Payment,
    /// `退款`: money back out, one line per successful refund (see [`super::select`]).
    Refund,
}

impl LineKind {
    pub fn name(self) -> &'static str {
        match self {
            LineKind::Payment => "支付",
            LineKind::Refund => "退款",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Line {
    pub kind: LineKind,
    pub merchant_id: Arc<str>,
    /// 订单编号: the payment's OrderNo, or the refund's own number (NewOrderNo).
    pub order_no: Arc<str>,
    /// 原订单号: the refunded order; `None` for payments.
    pub original_order_no: Option<Arc<str>>,
    /// 交易时间, the bank's host clock (UTC+8).
    pub bank_time: NaiveDateTime,
    /// 交易金额, always positive: the kind says which way the money went.
    pub amount_fen: i64,
    /// 商户回佣手续费.
    pub fee_fen: i64,
    /// 会计日期.
    pub accounting_date: NaiveDate,
    /// 主机流水号 (the iRspRef of notifications and queries).
    pub i_rsp_ref: String,
    /// 9014流水号 (the VoucherNo).
    pub voucher_no: String,
    /// The `corrupt` fault: 交易金额 is written unreadable and the totals leave the line out.
    pub corrupt: bool,
}

impl Line {
    /// 商户动账金额: what the merchant's account moves by, net of the fee.
    pub fn net_fen(&self) -> i64 {
        let net = self.amount_fen.saturating_sub(self.fee_fen);
        match self.kind {
            LineKind::Payment => net,
            LineKind::Refund => net.saturating_neg(),
        }
    }

    /// The record: fields in the header's order, separated by `|`.
    pub fn record(&self) -> String {
        let amount = if self.corrupt {
            unreadable(self.amount_fen)
        } else {
            format_yuan(self.amount_fen)
        };
        // A refund goes back to the card that paid the original order.
        let card_order = self.original_order_no.as_ref().unwrap_or(&self.order_no);
        [
            &*self.merchant_id,
            self.kind.name(),
            &self.order_no,
            &self.bank_time.format("%Y%m%d%H%M%S").to_string(),
            &amount,
            &merchant_account(&self.merchant_id),
            &format_yuan(self.net_fen()),
            &masked_card(&self.merchant_id, card_order),
            ACCOUNT_TYPE,
            &format_yuan(self.fee_fen),
            INSTALMENT_FEE,
            &self.accounting_date.format("%Y%m%d").to_string(),
            &self.i_rsp_ref,
            &self.voucher_no,
            self.original_order_no.as_deref().unwrap_or(""),
        ]
        .join("|")
    }
}

/// `12.34` written as `12.3x`: looks like an amount, reads as none.
fn unreadable(fen: i64) -> String {
    let mut text = format_yuan(fen);
    text.pop();
    text.push('x');
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn line(kind: LineKind) -> Line {
        Line {
            kind,
            merchant_id: "M1".into(),
            order_no: "R1".into(),
            original_order_no: (kind == LineKind::Refund).then(|| "O1".into()),
            bank_time: NaiveDate::from_ymd_opt(2026, 11, 27)
                .unwrap()
                .and_hms_opt(9, 5, 7)
                .unwrap(),
            amount_fen: 1234,
            fee_fen: 7,
            accounting_date: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            i_rsp_ref: "ABCD00000001".into(),
            voucher_no: "000002".into(),
            corrupt: false,
        }
    }

    #[test]
    fn writes_payment_and_refund_records() {
        let payment = line(LineKind::Payment).record();
        let fields: Vec<&str> = payment.split('|').collect();
        assert_eq!(fields.len(), 15);
        assert_eq!(
            [fields[0], fields[1], fields[2], fields[3], fields[4]],
            ["M1", "支付", "R1", "20261127090507", "12.34"]
        );
        assert_eq!(
            [fields[6], fields[8], fields[9], fields[10]],
            ["12.27", "401", "0.07", "0.00"]
        );
        assert_eq!(
            [fields[11], fields[12], fields[13], fields[14]],
            ["20261128", "ABCD00000001", "000002", ""]
        );
        let refund = line(LineKind::Refund).record();
        let fields: Vec<&str> = refund.split('|').collect();
        assert_eq!([fields[1], fields[2], fields[14]], ["退款", "R1", "O1"]);
        assert_eq!(fields[6], "-12.27");
        assert_eq!(fields[7], masked_card("M1", "O1"));
    }

    #[test]
    fn a_corrupt_amount_does_not_parse() {
        let mut corrupt = line(LineKind::Payment);
        corrupt.corrupt = true;
        let record = corrupt.record();
        let amount = record.split('|').nth(4).unwrap();
        assert_eq!(amount, "12.3x");
        assert!(unipay_core::money::parse_yuan_to_fen(amount).is_err());
    }
}
