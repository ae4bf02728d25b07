//! The header record: which column holds what, found by name (the layout differs between
//! variants of the statement and over the years; columns we do not use are ignored).

use unipay_core::statement::StatementError;

/// 交易类型: payment or refund.
pub const KIND: &str = "交易类型";
/// 订单编号: the order number (a refund's own number for a refund).
pub const ORDER_NO: &str = "订单编号";
/// 交易时间: when the bank recorded the transaction (yyyyMMddHHmmss), passed on as written.
pub const TRADED_AT: &str = "交易时间";
/// 交易金额: yuan, up to two decimals; refunds may carry a minus sign.
pub const AMOUNT: &str = "交易金额";
/// 商户回佣手续费: the bank's fee in yuan; may be empty or signed.
pub const FEE: &str = "商户回佣手续费";
/// 会计日期: the bank's accounting date, yyyyMMdd.
pub const ACCOUNTING_DATE: &str = "会计日期";
/// 主机流水号: the bank's serial.
pub const BANK_SERIAL: &str = "主机流水号";
/// 原订单号: for a refund, the payment it refunds.
pub const ORIGINAL_ORDER_NO: &str = "原订单号";

/// Where each column we read stands in a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Columns {
    /// The header's names, in order (decoded from GBK).
    pub names: Vec<String>,
    pub kind: usize,
    pub order_no: usize,
    pub amount: usize,
    pub accounting_date: usize,
    pub traded_at: Option<usize>,
    pub fee: Option<usize>,
    pub bank_serial: Option<usize>,
    pub original_order_no: Option<usize>,
}

impl Columns {
    /// Reads the header record (its GBK bytes). Decoding before splitting is safe here: the
    /// header is read once, and the decoder knows which `|` bytes belong to a character.
    pub fn from_header(record: &[u8]) -> Result<Columns, StatementError> {
        let (text, _) = encoding_rs::GBK.decode_without_bom_handling(record);
        let names: Vec<String> = text
            .split('|')
            .map(|name| name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
            .map(str::to_string)
            .collect();
        if names.len() > super::scan::MAX_FIELDS {
            return Err(StatementError::Format(format!(
                "the header has {} columns, more than {}",
                names.len(),
                super::scan::MAX_FIELDS
            )));
        }
        let find = |name: &str| names.iter().position(|n| n == name);
        let required = |name: &str| {
            find(name).ok_or_else(|| {
                StatementError::Format(format!(
                    "the header has no {name} column (it has: {})",
                    names.join("|")
                ))
            })
        };
        Ok(Columns {
            kind: required(KIND)?,
            order_no: required(ORDER_NO)?,
            amount: required(AMOUNT)?,
            accounting_date: required(ACCOUNTING_DATE)?,
            traded_at: find(TRADED_AT),
            fee: find(FEE),
            bank_serial: find(BANK_SERIAL),
            original_order_no: find(ORIGINAL_ORDER_NO),
            names,
        })
    }

    pub fn count(&self) -> usize {
        self.names.len()
    }
}
