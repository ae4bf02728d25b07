//! The request bodies of `/v1`, as a caller sends them. The server reads each field by hand so
//! that every fault gets its own code and message; the bounds here are the ones it enforces.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The pattern of every merchant-chosen number (out_trade_no, out_refund_no, …).
pub const OUT_NO_PATTERN: &str = "^[A-Za-z0-9._-]{1,64}$";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreatePayment {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_trade_no: String,
    /// Minor units (fen).
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    #[schema(pattern = "^CNY$")]
    pub currency: String,
    /// No control characters.
    #[schema(min_length = 1, max_length = 128)]
    pub subject: String,
    /// An absolute http(s) URL; the app's notify URL when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 512, pattern = "^https?://\\S+$", nullable = false)]
    pub notify_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 512, pattern = "^https?://\\S+$", nullable = false)]
    pub return_url: Option<String>,
    /// At most the server's configured maximum (`api.max_expires_in_s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, nullable = false)]
    pub expires_in_seconds: Option<i64>,
    /// A JSON object of at most 4096 bytes, answered back as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, nullable = false)]
    pub metadata: Option<serde_json::Value>,
    /// `manual` for a pre-authorization (PreAuthPay): authorized, then captured or cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::CaptureMode>, nullable = false)]
    pub capture: Option<String>,
    /// `kcode`: the bank texts the consumer a code (KPayVerifyReq) instead of a page redirect;
    /// needs card_no and mobile_no, and not capture manual.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<PaymentMethod>, nullable = false)]
    pub method: Option<String>,
    /// With method kcode: the consumer's card, 12-19 digits (spaces are dropped). Never stored
    /// or logged in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub card_no: Option<String>,
    /// With method kcode: where the bank texts the code, an 11-digit mainland mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub mobile_no: Option<String>,
    /// Which bank takes the payment: `abc`, `unionpay`, or the id of one of the merchant's
    /// channel accounts. Without it, the app's channel account (or its merchant's first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 64, pattern = "^[A-Za-z0-9_]{1,64}$", nullable = false)]
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cashier,
    Kcode,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateRefund {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_refund_no: String,
    /// Minor units (fen), at most what remains refundable.
    #[schema(minimum = 1)]
    pub amount: i64,
    /// No control characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128, nullable = false)]
    pub reason: Option<String>,
}

/// `{}` or no body captures everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CapturePayment {
    /// At most the authorized amount; all of it when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, nullable = false)]
    pub amount: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConfirmKcode {
    #[schema(pattern = "^[0-9]{4,8}$")]
    pub verify_code: String,
    #[schema(min_length = 1, max_length = 60)]
    pub account_name: String,
    #[schema(value_type = KcodeCertificateType)]
    pub certificate_type: String,
    #[schema(min_length = 1, max_length = 32)]
    pub certificate_no: String,
    /// MMYY, credit cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9]{4}$", nullable = false)]
    pub exp_date: Option<String>,
    /// Credit cards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9]{3}$", nullable = false)]
    pub cvv2: Option<String>,
}

/// The certificate types of K-code payment: 居民身份证, 护照, 户口簿, 港澳通行证, 台胞证, 其他.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum KcodeCertificateType {
    I,
    P,
    K,
    D,
    W,
    U,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateRefundBatch {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_batch_no: String,
    #[schema(min_items = 1, max_items = 10000)]
    pub lines: Vec<RefundBatchLineRequest>,
}

/// One refund: the payment by payment_id or by out_trade_no, not both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundBatchLineRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub payment_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub out_trade_no: Option<String>,
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_refund_no: String,
    /// Minor units (fen), at most what remains refundable.
    #[schema(minimum = 1)]
    pub amount: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128, nullable = false)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateMandate {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_mandate_no: String,
    /// The merchant's name for the customer; no control characters.
    #[schema(min_length = 1, max_length = 64)]
    pub customer_ref: String,
    #[schema(value_type = crate::CardType)]
    pub card_type: String,
    /// I (resident ID card) is 15 or 18 characters.
    #[schema(value_type = CertificateType)]
    pub certificate_type: String,
    /// Sent to the bank; kept masked only.
    #[schema(pattern = "^[A-Za-z0-9]{1,32}$", max_length = 32)]
    pub certificate_no: String,
    /// The last day debits may be made (Beijing), not in the past.
    #[schema(format = Date)]
    pub expires_on: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10_000_000_000_i64, nullable = false)]
    pub max_amount_per_debit: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 512, pattern = "^https?://\\S+$", nullable = false)]
    pub notify_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 512, pattern = "^https?://\\S+$", nullable = false)]
    pub return_url: Option<String>,
}

/// The certificate types the bank takes for a mandate and an identity verification
/// (CertificateType): I 居民身份证, P 护照, K 户口簿, D 港澳通行证, W 台胞证, U 其他, and the others its
/// DataVerifier lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CertificateType {
    I,
    P,
    S,
    J,
    K,
    T,
    F,
    D,
    W,
    U,
    R,
    B,
    A,
    C,
    E,
    G,
    H,
    L,
    M,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateDebit {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_trade_no: String,
    /// Minor units (fen), at most the mandate's max_amount_per_debit.
    #[schema(minimum = 1, maximum = 10_000_000_000_i64)]
    pub amount: i64,
    /// No control characters.
    #[schema(min_length = 1, max_length = 128)]
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 512, pattern = "^https?://\\S+$", nullable = false)]
    pub notify_url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateDebitBatch {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_batch_no: String,
    #[schema(min_items = 1, max_items = 10000)]
    pub lines: Vec<DebitBatchLineRequest>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DebitBatchLineRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub mandate_id: String,
    #[serde(flatten)]
    pub debit: CreateDebit,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CreateIdentityVerification {
    #[schema(pattern = "^[A-Za-z0-9._-]{1,64}$", max_length = 64)]
    pub out_verify_no: String,
    #[schema(value_type = crate::VerifyMode)]
    pub mode: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::CustomerType>, nullable = false)]
    pub customer_type: Option<String>,
    /// No control characters nor `" \ { } < >`.
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    /// I when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<CertificateType>, nullable = false)]
    pub certificate_type: Option<String>,
    /// A 居民身份证 (I) is 18 characters with its check character; others 1-32 letters and
    /// digits.
    #[schema(min_length = 1, max_length = 32)]
    pub certificate_no: String,
    /// 12-19 digits.
    pub card_no: String,
    /// An 11-digit mainland mobile number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub mobile: Option<String>,
    /// Where identity.verified goes; the app's notify URL when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 512, pattern = "^https?://\\S+$", nullable = false)]
    pub notify_url: Option<String>,
    /// Where the bank sends the customer after its page (redirect mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 512, pattern = "^https?://\\S+$", nullable = false)]
    pub return_url: Option<String>,
}
