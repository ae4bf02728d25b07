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
//! | `1303` | 报文超长 | the body is over 8,000 bytes (without the line end), whatever the TrxType |
//! | `1304` | 不支持的签名算法 | `Signature-Algorithm` is neither SHA1withRSA nor SHA256withRSA |
//! | `2001` | 商户未开通 | no certificate is registered for the MerchantID |
//! | `2002` | 不支持的交易类型 | a TrxType the simulator does not play (yet) |
//! | `2101` | 字段错误(Field) | a request field is missing or invalid; the field is named in brackets |
//! | `2301` | 订单号重复 | PayReq for an OrderNo the merchant already used with another amount, or for a number it used for a refund or a pre-authorization operation; a refund's NewOrderNo or an operation's OrderNo used before with other content (another amount, original order or OperateType) or for something else; a batch line repeating a NewOrderNo of an earlier line |
//! | `2302` | 订单已处理 | PayReq for an OrderNo that is already paid, failed or authorized |
//! | `2308` | 订单不存在 | Query for an unknown order; Refund, a batch line or PreAuthCancelConfirm naming an unknown original order |
//! | `2309` | 客户拒绝支付 | in a PayResult notification: the consumer declined |
//! | `2310` | 订单状态不允许退款 | the original order took no money: unpaid, declined, authorized but not confirmed, or cancelled |
//! | `2311` | 退款金额超过可退金额 | the refunds done plus this one would exceed the paid (or captured) amount |
//! | `2312` | 退款次数超限 | the order already holds 1,000 refunds |
//! | `2313` | 商户账户余额不足 | the `refund: "reject"` fault, and batch lines the batch fault fails: the business refusal a bank gives most |
//! | `2320` | 批次汇总不符 | BatchRefund whose TotalCount or TotalAmount is not that of its lines |
//! | `2321` | 批次不存在 | QueryBatchRefund naming no batch of the merchant (SerialNumber, BatchDate, BatchTime and, when given, BatchNo must all match) |
//! | `2322` | 批次号重复 | BatchRefund repeating a BatchNo of the same BatchDate with other content |
//! | `2323` | 批次拒绝受理 | a new BatchRefund or AgentBatch holding a line whose SeqNo is in the `refuse_batch_seq_nos` batch fault |
//! | `2330` | 预授权已撤销 | PreAuthCancelConfirm on a cancelled authorization |
//! | `2331` | 预授权已确认 | PreAuthCancelConfirm on a confirmed authorization (under a new OrderNo) |
//! | `2332` | 确认金额超过授权金额 | Confirm of more than the authorized amount |
//! | `2333` | 非预授权订单或未授权 | PreAuthCancelConfirm on an order that is not PreAuthPay or was never authorized |
//! | `2334` | 撤销金额与授权金额不符 | a Cancel whose OrderAmount is not the amount held |
//! | `EUNKWN` | 交易结果未知 | only when the `query` or `refund` fault or the `query_unknown_until_ms` window asks for it, or a Refund repeats a batch line not yet reported (status `2`) |
//!
//! A refused Refund or PreAuthCancelConfirm changes nothing; sent again, it is judged again.

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
pub const NOT_REFUNDABLE: (&str, &str) = ("2310", "订单状态不允许退款");
pub const OVER_REFUND: (&str, &str) = ("2311", "退款金额超过可退金额");
pub const TOO_MANY_REFUNDS: (&str, &str) = ("2312", "退款次数超限");
pub const INSUFFICIENT_FUNDS: (&str, &str) = ("2313", "商户账户余额不足");
pub const BATCH_MISMATCH: (&str, &str) = ("2320", "批次汇总不符");
pub const BATCH_NOT_FOUND: (&str, &str) = ("2321", "批次不存在");
pub const DUPLICATE_BATCH: (&str, &str) = ("2322", "批次号重复");
pub const BATCH_REFUSED: (&str, &str) = ("2323", "批次拒绝受理");
pub const PREAUTH_CANCELLED: (&str, &str) = ("2330", "预授权已撤销");
pub const PREAUTH_CONFIRMED: (&str, &str) = ("2331", "预授权已确认");
pub const OVER_AUTHORIZED: (&str, &str) = ("2332", "确认金额超过授权金额");
pub const NOT_AUTHORIZED: (&str, &str) = ("2333", "非预授权订单或未授权");
pub const CANCEL_AMOUNT: (&str, &str) = ("2334", "撤销金额与授权金额不符");
pub const UNKNOWN: (&str, &str) = ("EUNKWN", "交易结果未知");

/// The ErrorMessage for [`BAD_FIELD`]; field names are ASCII so the naive scanner reads them.
pub fn bad_field_message(field: &str) -> String {
    format!("字段错误({field})")
}
