//! The catalogue of error codes the `/v1` API answers: each with its HTTP status and meaning.
//! The server answers with these, the client reads them and the OpenAPI document lists them,
//! so a code cannot exist in one place and be missing in another.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

macro_rules! error_codes {
    ($($variant:ident = ($name:literal, $status:literal, $meaning:literal),)*) => {
        /// An error code of the merchant API, as `error.code` carries it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum ErrorCode {
            $(
                #[doc = $meaning]
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in catalogue order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }

            /// The HTTP status every answer with this code has.
            pub const fn status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// What the code means, for the catalogue a caller reads.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    MissingAuthorization = ("missing_authorization", 401, "The Authorization header is absent."),
    MalformedAuthorization = ("malformed_authorization", 401, "The Authorization header is not UNIPAY-HMAC-SHA256 app_id=…,timestamp=…,nonce=…,signature=… (nonce 16-64 characters of [A-Za-z0-9_-])."),
    UnknownApp = ("unknown_app", 401, "No app has this app_id."),
    SignatureExpired = ("signature_expired", 401, "The timestamp is more than the signature window (300 s) away from the server's time."),
    NonceReused = ("nonce_reused", 401, "The nonce was already used by this app within the signature window."),
    InvalidSignature = ("invalid_signature", 401, "The signature does not match the request."),
    AppDisabled = ("app_disabled", 403, "The app is disabled."),
    InvalidJson = ("invalid_json", 400, "The body is not a JSON object."),
    InvalidRequest = ("invalid_request", 400, "A field is missing, of the wrong type, or out of bounds; the message names it."),
    InvalidAmount = ("invalid_amount", 400, "amount must be an integer number of fen, at least 1 and at most 10000000000 (a refund's at least 1)."),
    InvalidCurrency = ("invalid_currency", 400, "currency must be CNY."),
    InvalidIdempotencyKey = ("invalid_idempotency_key", 400, "The Idempotency-Key header must be 1-128 visible ASCII characters."),
    BodyTooLarge = ("body_too_large", 413, "The request body exceeds the limit."),
    PaymentNotFound = ("payment_not_found", 404, "No payment of this app has this id or out_trade_no."),
    NotFound = ("not_found", 404, "No such route."),
    MethodNotAllowed = ("method_not_allowed", 405, "The route does not take this method."),
    DuplicateOutTradeNo = ("duplicate_out_trade_no", 409, "The app already has a payment with this out_trade_no; error.payment_id names it."),
    IdempotencyKeyInFlight = ("idempotency_key_in_flight", 409, "A request with this Idempotency-Key is still being processed; retry later."),
    PaymentNotClosable = ("payment_not_closable", 409, "The payment is paid or failed (or the bank reports it paid), so it cannot be closed."),
    NoChannelAccount = ("no_channel_account", 409, "The app's merchant has no channel account to take payments with."),
    RefundNotFound = ("refund_not_found", 404, "No refund of this app has this id or out_refund_no."),
    PaymentNotPaid = ("payment_not_paid", 409, "The payment collected nothing (created, pending, failed, closed or cancelled): there is nothing to refund."),
    PaymentNotCaptured = ("payment_not_captured", 409, "The payment is a pre-authorization not captured yet: capture or cancel it instead of refunding."),
    RefundExceedsRefundable = ("refund_exceeds_refundable", 409, "The refund amount is more than what remains refundable (collected less refunded and pending refunds)."),
    DuplicateOutRefundNo = ("duplicate_out_refund_no", 409, "The app already has a refund with this out_refund_no; error.refund_id names it and refund holds it."),
    PaymentNotAuthorized = ("payment_not_authorized", 409, "The payment is not an authorized pre-authorization (not capture=manual, or not authorized yet)."),
    PaymentAlreadyCaptured = ("payment_already_captured", 409, "The pre-authorization was captured (cancel refused, or a capture of another amount)."),
    PaymentCancelled = ("payment_cancelled", 409, "The pre-authorization was cancelled: nothing can be captured."),
    CaptureExceedsAuthorized = ("capture_exceeds_authorized", 409, "The capture amount is more than the channel lets a capture take of the authorized amount (all of it; 115 % of it through UnionPay)."),
    CaptureWindowClosed = ("capture_window_closed", 409, "The pre-authorization is older than its channel lets a capture come (30 days after the hold through UnionPay; ABC sets no limit): the bank was not asked and nothing changed."),
    RefundBatchNotFound = ("refund_batch_not_found", 404, "No refund batch of this app has this id."),
    DuplicateOutBatchNo = ("duplicate_out_batch_no", 409, "The app already has a refund batch with this out_batch_no; error.batch_id names it."),
    RefundBatchLinesInvalid = ("refund_batch_lines_invalid", 422, "Some lines of the batch cannot be refunded; error.lines lists each (line, code, message). Nothing was done."),
    MandateNotFound = ("mandate_not_found", 404, "No mandate of this app has this id."),
    DuplicateOutMandateNo = ("duplicate_out_mandate_no", 409, "The app already has a mandate with this out_mandate_no; error.mandate_id names it."),
    MandateNotActive = ("mandate_not_active", 409, "The mandate is pending (the customer has not signed) or failed (refused): nothing can be debited or cancelled."),
    MandateCancelled = ("mandate_cancelled", 409, "The mandate was cancelled: nothing can be debited."),
    MandateExpired = ("mandate_expired", 409, "The mandate is past its last valid day (expires_on): nothing can be debited; it is marked expired."),
    DebitExceedsMandateLimit = ("debit_exceeds_mandate_limit", 422, "The debit amount is more than the mandate's max_amount_per_debit."),
    DebitBatchNotFound = ("debit_batch_not_found", 404, "No debit batch of this app has this id."),
    DuplicateOutDebitBatchNo = ("duplicate_out_debit_batch_no", 409, "The app already has a debit batch with this out_batch_no; error.batch_id names it."),
    DebitBatchLinesInvalid = ("debit_batch_lines_invalid", 422, "Some lines of the debit batch cannot be debited; error.lines lists each (line, code, message). Nothing was done."),
    InvalidVerifyMode = ("invalid_verify_mode", 400, "mode must be redirect (the customer confirms on the bank's page) or direct (the bank answers at once)."),
    InvalidCertificate = ("invalid_certificate", 400, "certificate_type must be one the operation takes (identity verification: the bank's types I P S J K T F D W U R B A C E G H L M; a K-code payment: I P K D W U), and certificate_no a number of that type (a 居民身份证 is 18 characters whose check character is right)."),
    InvalidCardNo = ("invalid_card_no", 400, "card_no must be 12-19 digits."),
    InvalidMobile = ("invalid_mobile", 400, "mobile must be an 11-digit mainland mobile number."),
    IdentityVerificationNotFound = ("identity_verification_not_found", 404, "No identity verification of this app has this id."),
    DuplicateOutVerifyNo = ("duplicate_out_verify_no", 409, "The app already has an identity verification with this out_verify_no; error.verification_id names it and identity_verification holds it."),
    PersonalDataKeyMissing = ("personal_data_key_missing", 503, "The server has no privacy.hmac_key, so it cannot keep personal data safely: identity verification is unavailable."),
    IdempotencyKeyReused = ("idempotency_key_reused", 422, "This Idempotency-Key was used with a different request."),
    PaymentNotKcode = ("payment_not_kcode", 409, "The payment is not paid by K-code: no bill was sent for it (create it with method kcode)."),
    KcodeNotOffered = ("kcode_not_offered", 409, "The payment's channel account does not offer K-code payment."),
    KcodeNotAwaitingCode = ("kcode_not_awaiting_code", 409, "The payment is not waiting for a verification code: it is paid, failed, closed or expired, or its bill got no code (create it again, or send the bill again with the same Idempotency-Key)."),
    KcodeBillRefused = ("kcode_bill_refused", 402, "The bank did not accept the K-code bill (card or mobile number); error.payment_id names the payment, which stays pending until it expires."),
    KcodeWrongCode = ("kcode_wrong_code", 422, "The verification code is wrong; the attempt is counted (kcode.max_wrong_codes, default 3) and the message says how many are left."),
    KcodeCodeExpired = ("kcode_code_expired", 422, "The verification code has expired; ask for a new one with POST /v1/payments/{id}/kcode/resend."),
    KcodeAttemptsExhausted = ("kcode_attempts_exhausted", 409, "Too many wrong verification codes: the payment failed (payment.failed is sent)."),
    KcodeBillLimit = ("kcode_bill_limit", 409, "The payment has asked for all the K-code bills it may (kcode.max_bills, default 3, refused ones included): the payment failed (payment.failed is sent)."),
    KcodeResendTooSoon = ("kcode_resend_too_soon", 429, "A new code was asked for too soon after the last (kcode.min_resend_interval_s, default 60 s); the message says when to retry."),
    KcodeResendLimit = ("kcode_resend_limit", 429, "No more codes can be sent for this payment (kcode.max_resends, default 5, or the bank's own limit)."),
    KcodeRefused = ("kcode_refused", 422, "The bank declined the K-code payment (e.g. the card holder's details); the message has the bank's reason."),
    RateLimited = ("rate_limited", 429, "The app made more requests of this kind than it may (api.channel_transactions_per_minute for GET /v1/channel-transactions); the message says in how many seconds to retry."),
    BankUnavailable = ("bank_unavailable", 502, "The bank could not be reached or refused the request."),
    BankResultUnknown = ("bank_result_unknown", 503, "The bank could not say whether the payment is paid; nothing was changed. Retry later."),
    InternalError = ("internal_error", 500, "Something failed inside unipay; the log has the details under the request id."),
}

impl ErrorCode {
    /// The code with this wire name, if the catalogue has it.
    pub fn parse(name: &str) -> Option<ErrorCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|code| code.as_str() == name)
    }
}

// By hand, because the derive cannot read a rename that a macro wrote: the enum lists the wire
// names, and each code's status and meaning are in the document's catalogue table.
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An error code of the merchant API, as `error.code` carries it; `x-error-codes` in the document's info gives each one's status and meaning.",
            ))
            .enum_values(Some(ErrorCode::ALL.iter().map(|code| code.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for ErrorCode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
        for code in ErrorCode::ALL {
            let wire = serde_json::to_string(code).unwrap_or_default();
            assert_eq!(wire, format!("\"{code}\""));
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert!((400..600).contains(&code.status()), "{code}");
        }
    }
}
