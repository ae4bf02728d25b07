//! What every request carries, and the values requests are built from.

use super::names::*;
use crate::charset::Charset;
use crate::fields::Fields;
use crate::signing::{ENCODING, VERSION, Version};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("{field} {value:?} is not valid: {why}")]
    InvalidValue {
        field: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("the answer has no {0}")]
    MissingField(&'static str),
}

impl MessageError {
    pub(crate) fn invalid(field: &'static str, value: &str, why: &'static str) -> MessageError {
        MessageError::InvalidValue {
            field,
            value: value.to_string(),
            why,
        }
    }
}

/// The merchant's account at UnionPay, as every request names it. Only direct merchants
/// (`accessType=0`); platforms and institutions add fields not built here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    /// `merId`, 15 digits.
    pub mer_id: String,
    pub version: Version,
    /// `encoding`: UTF-8, or GBK where the account is configured so.
    pub charset: Charset,
}

impl Merchant {
    /// The fields common to every request of `txn_type`.
    pub(crate) fn base_fields(&self, txn_type: TxnType, sub_type: &str, biz_type: &str) -> Fields {
        let mut fields = Fields::new();
        fields.set(VERSION, self.version.code());
        fields.set(ENCODING, self.charset.name());
        fields.set(TXN_TYPE, txn_type.code());
        fields.set(TXN_SUB_TYPE, sub_type);
        fields.set(BIZ_TYPE, biz_type);
        fields.set(ACCESS_TYPE, ACCESS_DIRECT);
        fields.set(MER_ID, &self.mer_id);
        fields
    }
}

/// `txnType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxnType {
    Query,
    Consume,
    PreAuthorization,
    PreAuthorizationCompletion,
    Refund,
    ConsumeVoid,
    PreAuthorizationVoid,
    CompletionVoid,
    FileDownload,
}

impl TxnType {
    pub fn code(self) -> &'static str {
        match self {
            TxnType::Query => "00",
            TxnType::Consume => "01",
            TxnType::PreAuthorization => "02",
            TxnType::PreAuthorizationCompletion => "03",
            TxnType::Refund => "04",
            TxnType::ConsumeVoid => "31",
            TxnType::PreAuthorizationVoid => "32",
            TxnType::CompletionVoid => "33",
            TxnType::FileDownload => "76",
        }
    }

    pub fn parse(code: &str) -> Option<TxnType> {
        [
            TxnType::Query,
            TxnType::Consume,
            TxnType::PreAuthorization,
            TxnType::PreAuthorizationCompletion,
            TxnType::Refund,
            TxnType::ConsumeVoid,
            TxnType::PreAuthorizationVoid,
            TxnType::CompletionVoid,
            TxnType::FileDownload,
        ]
        .into_iter()
        .find(|txn_type| txn_type.code() == code)
    }
}

/// `channelType`: which payment pages UnionPay shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChannelType {
    /// `07`: PC and tablet (B2C gateway).
    #[default]
    Desktop,
    /// `08`: mobile (WAP).
    Mobile,
}

impl ChannelType {
    pub fn code(self) -> &'static str {
        match self {
            ChannelType::Desktop => "07",
            ChannelType::Mobile => "08",
        }
    }
}

/// `orderId`: 8 to 40 letters and digits ("不能含“-”或“_”").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderId(String);

impl OrderId {
    pub fn new(text: &str) -> Result<OrderId, MessageError> {
        if !(8..=40).contains(&text.len()) {
            return Err(MessageError::invalid(ORDER_ID, text, "8 to 40 characters"));
        }
        if !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(MessageError::invalid(
                ORDER_ID,
                text,
                "letters and digits only",
            ));
        }
        Ok(OrderId(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `txnTime` (and `payTimeout`): `YYYYMMDDhhmmss`, Beijing time. UnionPay refuses a txnTime
/// far from its own clock, so a new request takes the current time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxnTime(String);

impl TxnTime {
    pub fn new(text: &str) -> Result<TxnTime, MessageError> {
        let digits = text.len() == 14 && text.bytes().all(|b| b.is_ascii_digit());
        let number = |range: std::ops::Range<usize>| {
            text.get(range)
                .and_then(|part| part.parse::<u32>().ok())
                .unwrap_or(u32::MAX)
        };
        let plausible = digits
            && (1..=12).contains(&number(4..6))
            && (1..=31).contains(&number(6..8))
            && number(8..10) < 24
            && number(10..12) < 60
            && number(12..14) < 60;
        if !plausible {
            return Err(MessageError::invalid(TXN_TIME, text, "YYYYMMDDhhmmss"));
        }
        Ok(TxnTime(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A fen amount field of an answer (`txnAmt`, `settleAmt`): digits only.
pub(crate) fn fen_field(fields: &Fields, key: &'static str) -> Result<Option<u64>, MessageError> {
    fields
        .get(key)
        .map(|text| {
            if !text.bytes().all(|b| b.is_ascii_digit()) {
                return Err(MessageError::invalid(key, text, "an amount in fen"));
            }
            text.parse::<u64>()
                .map_err(|_| MessageError::invalid(key, text, "an amount in fen"))
        })
        .transpose()
}

/// An optional field, owned.
pub(crate) fn text_field(fields: &Fields, key: &str) -> Option<String> {
    fields.get(key).map(str::to_string)
}
