//! The ZM line: 42 fixed-width fields separated by one space, 607 bytes and CR LF. Widths
//! are GBK bytes ("文件是gbk编码"), identical in UnionPay's Java and .NET demos.

/// A line's bytes without its CR LF.
pub const LINE_BYTES: usize = 607;

const WIDTHS: [usize; 42] = [
    3, 11, 11, 6, 10, 19, 12, 4, 2, 21, 2, 32, 2, 6, 10, 13, 13, 4, 15, 2, 2, 6, 2, 4, 32, 1, 21,
    15, 1, 15, 32, 13, 13, 8, 32, 13, 13, 12, 2, 1, 32, 98,
];

/// The fields, in order. Names from the file interface's column list (§6 of the protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZmField {
    /// 交易代码 (`S56` …).
    TransactionCode,
    /// 代理机构标识码.
    AgentInstitution,
    /// 发送机构标识码.
    SendingInstitution,
    /// 系统跟踪号 (traceNo).
    TraceNo,
    /// 交易传输时间 `MMDDhhmmss` (traceTime).
    TraceTime,
    /// 帐号, masked.
    Account,
    /// 交易金额, fen, zero-padded.
    Amount,
    /// 商户类别 (MCC).
    MerchantCategory,
    /// 终端类型.
    TerminalType,
    /// 查询流水号 (queryId).
    QueryId,
    /// 支付方式 (旧).
    OldPaymentMethod,
    /// 商户订单号 (orderId), left-justified.
    OrderId,
    /// 支付卡类型.
    CardType,
    /// 原始交易的系统跟踪号.
    OriginalTraceNo,
    /// 原始交易日期时间.
    OriginalTraceTime,
    /// 商户手续费, `D`/`C` + 12 digits.
    Fee,
    /// 结算金额, `D`/`C` + 12 digits.
    SettlementAmount,
    /// 支付方式.
    PaymentMethod,
    /// 集团商户代码.
    GroupMerchant,
    /// 交易类型 (txnType).
    TxnType,
    /// 交易子类 (txnSubType).
    TxnSubType,
    /// 业务类型 (bizType).
    BizType,
    /// 帐号类型.
    AccountType,
    /// 账单类型.
    BillType,
    /// 账单号码.
    BillNo,
    /// 交互方式.
    InteractionMode,
    /// 原交易查询流水号 (origQryId).
    OriginalQueryId,
    /// 商户代码 (merId).
    MerId,
    /// 分账入账方式.
    SplitMode,
    /// 二级商户代码.
    SubMerchant,
    /// 二级商户简称.
    SubMerchantName,
    /// 二级商户分账入账金额.
    SubMerchantAmount,
    /// 清算净额.
    NetAmount,
    /// 终端号.
    TerminalId,
    /// 商户自定义域.
    MerchantReserved,
    /// 优惠金额.
    DiscountAmount,
    /// 发票金额.
    InvoiceAmount,
    /// 分期付款附加手续费.
    InstalmentFee,
    /// 分期付款期数.
    Instalments,
    /// 交易介质.
    Medium,
    /// 原始交易订单号.
    OriginalOrderId,
    /// 保留使用.
    Reserved,
}

impl ZmField {
    pub const ALL: [ZmField; 42] = [
        ZmField::TransactionCode,
        ZmField::AgentInstitution,
        ZmField::SendingInstitution,
        ZmField::TraceNo,
        ZmField::TraceTime,
        ZmField::Account,
        ZmField::Amount,
        ZmField::MerchantCategory,
        ZmField::TerminalType,
        ZmField::QueryId,
        ZmField::OldPaymentMethod,
        ZmField::OrderId,
        ZmField::CardType,
        ZmField::OriginalTraceNo,
        ZmField::OriginalTraceTime,
        ZmField::Fee,
        ZmField::SettlementAmount,
        ZmField::PaymentMethod,
        ZmField::GroupMerchant,
        ZmField::TxnType,
        ZmField::TxnSubType,
        ZmField::BizType,
        ZmField::AccountType,
        ZmField::BillType,
        ZmField::BillNo,
        ZmField::InteractionMode,
        ZmField::OriginalQueryId,
        ZmField::MerId,
        ZmField::SplitMode,
        ZmField::SubMerchant,
        ZmField::SubMerchantName,
        ZmField::SubMerchantAmount,
        ZmField::NetAmount,
        ZmField::TerminalId,
        ZmField::MerchantReserved,
        ZmField::DiscountAmount,
        ZmField::InvoiceAmount,
        ZmField::InstalmentFee,
        ZmField::Instalments,
        ZmField::Medium,
        ZmField::OriginalOrderId,
        ZmField::Reserved,
    ];

    /// 0-based position in the line.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn width(self) -> usize {
        WIDTHS.get(self.index()).copied().unwrap_or(0)
    }

    /// Byte offset in the line: the widths before it, and one separator after each.
    pub fn offset(self) -> usize {
        WIDTHS.iter().take(self.index()).map(|w| w + 1).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widths_and_separators_fill_607_bytes() {
        let last = ZmField::Reserved;
        assert_eq!(last.offset() + last.width(), LINE_BYTES);
        assert_eq!(ZmField::ALL.len(), 42);
        for (index, field) in ZmField::ALL.iter().enumerate() {
            assert_eq!(field.index(), index);
        }
        // Offsets as the protocol's table lists them.
        assert_eq!(ZmField::QueryId.offset(), 87);
        assert_eq!(ZmField::OrderId.offset(), 112);
        assert_eq!(ZmField::TxnType.offset(), 215);
        assert_eq!(ZmField::MerId.offset(), 293);
        assert_eq!(ZmField::OriginalOrderId.offset(), 476);
        assert_eq!(ZmField::Reserved.offset(), 509);
    }
}
