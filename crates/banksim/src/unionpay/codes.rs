//! The respCode values the gateway answers with, and their respMsg, in UnionPay's form
//! (text then a 7-digit detail code in brackets).

pub const SUCCESS: (&str, &str) = ("00", "成功[0000000]");
pub const FAILED: (&str, &str) = ("01", "交易失败[1000000]");
pub const ACCEPTED_IN_PROGRESS: (&str, &str) = ("05", "交易已受理，请稍后查询交易结果[6154037]");
pub const FORMAT_ERROR: (&str, &str) = ("10", "报文格式错误[1000010]");
pub const BAD_SIGNATURE: (&str, &str) = ("11", "验证签名失败[9100004]");
pub const DUPLICATE: (&str, &str) = ("12", "重复交易[2000012]");
pub const MISSING_FIELD: (&str, &str) = ("13", "报文交易要素缺失[2000013]");
pub const UNKNOWN_MERCHANT: (&str, &str) = ("31", "商户状态不正确[2000031]");
pub const NOT_PERMITTED: (&str, &str) = ("32", "无此交易权限[2000032]");
pub const NO_SUCH_ORDER: (&str, &str) = ("34", "查无此交易[2600000]");
pub const ORIGINAL_STATE: (&str, &str) = ("35", "原交易不存在或状态不正确[2000035]");
pub const ORIGINAL_MISMATCH: (&str, &str) = ("36", "与原交易信息不符[2000036]");
/// Outside the time the operation is taken in: a completion more than 30 days after its hold.
pub const OUTSIDE_TIME_LIMIT: (&str, &str) = ("39", "交易不在受理时间范围内[2000039]");
pub const PAYER_DECLINED: (&str, &str) = ("01", "持卡人取消支付[1000001]");

/// The "still unknown" codes a fault can make the gateway answer: timeout, unknown, accepted.
pub fn unknown_code(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        "03" => Some(("03", "交易通讯超时，请发起查询交易[9100003]")),
        "04" => Some(("04", "交易状态未明，请查询对账结果[9100004]")),
        "05" => Some(ACCEPTED_IN_PROGRESS),
        _ => None,
    }
}
