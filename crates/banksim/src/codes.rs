//! The ReturnCodes the simulated platform answers with.
//!
//! The public material names only `0000` (success) and `EUNKWN` (unknown, query it); the client's
//! own codes (1100–1999) describe what the client saw. Everything else here is **invented** for the
//! simulator, chosen so that a merchant can tell the cases apart:
//!
//! | code | message | when |
//! |---|---|---|
//! | `0000` | 交易成功 | success |
//! | `1301` | 报文不完整 | the body is not `{"Message":…,"Signature-Algorithm":…,"Signature":…}`, MerchantID cannot be found, or the verified M does not parse |
//! | `1302` | 签名验证失败 | the signature does not verify with the merchant's registered certificate |
//! | `1303` | 报文超长 | the body is over 8,000 bytes |
//! | `1304` | 不支持的签名算法 | `Signature-Algorithm` is neither SHA1withRSA nor SHA256withRSA |
//! | `2001` | 商户未开通 | no certificate is registered for the MerchantID |
//! | `2002` | 不支持的交易类型 | a TrxType the simulator does not play (yet) |
//! | `2101` | 字段错误(Field) | a request field is missing or invalid; the field is named in brackets |
//! | `2301` | 订单号重复 | PayReq for an OrderNo the merchant already used with another amount |
//! | `2302` | 订单已处理 | PayReq for an OrderNo that is already paid or failed |
//! | `2308` | 订单不存在 | Query for an unknown order |
//! | `2309` | 客户拒绝支付 | in a PayResult notification: the consumer declined |
//! | `EUNKWN` | 交易结果未知 | only when the `query` fault asks for it |

pub const SUCCESS: (&str, &str) = ("0000", "交易成功");
pub const INCOMPLETE: (&str, &str) = ("1301", "报文不完整");
pub const BAD_SIGNATURE: (&str, &str) = ("1302", "签名验证失败");
pub const TOO_LARGE: (&str, &str) = ("1303", "报文超长");
pub const UNKNOWN_ALGORITHM: (&str, &str) = ("1304", "不支持的签名算法");
pub const UNKNOWN_MERCHANT: (&str, &str) = ("2001", "商户未开通");
pub const UNSUPPORTED_TRX: (&str, &str) = ("2002", "不支持的交易类型");
/// The message is completed with the field's name: `字段错误(OrderAmount)`.
pub const BAD_FIELD: &str = "2101";
pub const DUPLICATE_ORDER: (&str, &str) = ("2301", "订单号重复");
pub const ORDER_FINAL: (&str, &str) = ("2302", "订单已处理");
pub const ORDER_NOT_FOUND: (&str, &str) = ("2308", "订单不存在");
pub const DECLINED: (&str, &str) = ("2309", "客户拒绝支付");
pub const UNKNOWN: (&str, &str) = ("EUNKWN", "交易结果未知");

/// The ErrorMessage for [`BAD_FIELD`]; field names are ASCII so the naive scanner reads them.
pub fn bad_field_message(field: &str) -> String {
    format!("字段错误({field})")
}
