//! The one place that decides the HTTP status and code of every merchant-API error. Each code
//! is listed in [`ERROR_CODES`], which the OpenAPI document publishes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Every error code the `/v1` API can answer, with its status and meaning.
pub const ERROR_CODES: &[(&str, u16, &str)] = &[
    (
        "missing_authorization",
        401,
        "The Authorization header is absent.",
    ),
    (
        "malformed_authorization",
        401,
        "The Authorization header is not UNIPAY-HMAC-SHA256 app_id=…,timestamp=…,nonce=…,signature=… (nonce 16-64 characters of [A-Za-z0-9_-]).",
    ),
    ("unknown_app", 401, "No app has this app_id."),
    (
        "signature_expired",
        401,
        "The timestamp is more than the signature window (300 s) away from the server's time.",
    ),
    (
        "nonce_reused",
        401,
        "The nonce was already used by this app within the signature window.",
    ),
    (
        "invalid_signature",
        401,
        "The signature does not match the request.",
    ),
    ("app_disabled", 403, "The app is disabled."),
    ("invalid_json", 400, "The body is not a JSON object."),
    (
        "invalid_request",
        400,
        "A field is missing, of the wrong type, or out of bounds; the message names it.",
    ),
    (
        "invalid_amount",
        400,
        "amount must be an integer number of fen, at least 1 and at most 10000000000 (a refund's at least 1).",
    ),
    ("invalid_currency", 400, "currency must be CNY."),
    (
        "invalid_idempotency_key",
        400,
        "The Idempotency-Key header must be 1-128 visible ASCII characters.",
    ),
    ("body_too_large", 413, "The request body exceeds the limit."),
    (
        "payment_not_found",
        404,
        "No payment of this app has this id or out_trade_no.",
    ),
    ("not_found", 404, "No such route."),
    (
        "method_not_allowed",
        405,
        "The route does not take this method.",
    ),
    (
        "duplicate_out_trade_no",
        409,
        "The app already has a payment with this out_trade_no; error.payment_id names it.",
    ),
    (
        "idempotency_key_in_flight",
        409,
        "A request with this Idempotency-Key is still being processed; retry later.",
    ),
    (
        "payment_not_closable",
        409,
        "The payment is paid or failed (or the bank reports it paid), so it cannot be closed.",
    ),
    (
        "no_channel_account",
        409,
        "The app's merchant has no channel account to take payments with.",
    ),
    (
        "refund_not_found",
        404,
        "No refund of this app has this id or out_refund_no.",
    ),
    (
        "payment_not_paid",
        409,
        "The payment collected nothing (created, pending, failed, closed or cancelled): there is nothing to refund.",
    ),
    (
        "payment_not_captured",
        409,
        "The payment is a pre-authorization not captured yet: capture or cancel it instead of refunding.",
    ),
    (
        "refund_exceeds_refundable",
        409,
        "The refund amount is more than what remains refundable (collected less refunded and pending refunds).",
    ),
    (
        "duplicate_out_refund_no",
        409,
        "The app already has a refund with this out_refund_no; error.refund_id names it and refund holds it.",
    ),
    (
        "payment_not_authorized",
        409,
        "The payment is not an authorized pre-authorization (not capture=manual, or not authorized yet).",
    ),
    (
        "payment_already_captured",
        409,
        "The pre-authorization was captured (cancel refused, or a capture of another amount).",
    ),
    (
        "payment_cancelled",
        409,
        "The pre-authorization was cancelled: nothing can be captured.",
    ),
    (
        "capture_exceeds_authorized",
        409,
        "The capture amount is more than the authorized amount.",
    ),
    (
        "refund_batch_not_found",
        404,
        "No refund batch of this app has this id.",
    ),
    (
        "duplicate_out_batch_no",
        409,
        "The app already has a refund batch with this out_batch_no; error.batch_id names it.",
    ),
    (
        "refund_batch_lines_invalid",
        422,
        "Some lines of the batch cannot be refunded; error.lines lists each (line, code, message). Nothing was done.",
    ),
    (
        "mandate_not_found",
        404,
        "No mandate of this app has this id.",
    ),
    (
        "duplicate_out_mandate_no",
        409,
        "The app already has a mandate with this out_mandate_no; error.mandate_id names it.",
    ),
    (
        "mandate_not_active",
        409,
        "The mandate is pending (the customer has not signed) or failed (refused): nothing can be debited or cancelled.",
    ),
    (
        "mandate_cancelled",
        409,
        "The mandate was cancelled: nothing can be debited.",
    ),
    (
        "mandate_expired",
        409,
        "The mandate is past its last valid day (expires_on): nothing can be debited; it is marked expired.",
    ),
    (
        "debit_exceeds_mandate_limit",
        422,
        "The debit amount is more than the mandate's max_amount_per_debit.",
    ),
    (
        "debit_batch_not_found",
        404,
        "No debit batch of this app has this id.",
    ),
    (
        "duplicate_out_debit_batch_no",
        409,
        "The app already has a debit batch with this out_batch_no; error.batch_id names it.",
    ),
    (
        "debit_batch_lines_invalid",
        422,
        "Some lines of the debit batch cannot be debited; error.lines lists each (line, code, message). Nothing was done.",
    ),
    (
        "invalid_verify_mode",
        400,
        "mode must be redirect (the customer confirms on the bank's page) or direct (the bank answers at once).",
    ),
    (
        "invalid_certificate",
        400,
        "certificate_type must be one of I P K D W U, and certificate_no a number of that type (a 居民身份证 is 18 characters whose check character is right).",
    ),
    ("invalid_card_no", 400, "card_no must be 12-19 digits."),
    (
        "invalid_mobile",
        400,
        "mobile must be an 11-digit mainland mobile number.",
    ),
    (
        "identity_verification_not_found",
        404,
        "No identity verification of this app has this id.",
    ),
    (
        "duplicate_out_verify_no",
        409,
        "The app already has an identity verification with this out_verify_no; error.verification_id names it and identity_verification holds it.",
    ),
    (
        "personal_data_key_missing",
        503,
        "The server has no privacy.hmac_key, so it cannot keep personal data safely: identity verification is unavailable.",
    ),
    (
        "idempotency_key_reused",
        422,
        "This Idempotency-Key was used with a different request.",
    ),
    (
        "payment_not_kcode",
        409,
        "The payment is not paid by K-code: no bill was sent for it (create it with method kcode).",
    ),
    (
        "kcode_not_offered",
        409,
        "The payment's channel account does not offer K-code payment.",
    ),
    (
        "kcode_not_awaiting_code",
        409,
        "The payment is not waiting for a verification code: it is paid, failed, closed or expired, or its bill got no code (create it again, or send the bill again with the same Idempotency-Key).",
    ),
    (
        "kcode_bill_refused",
        402,
        "The bank did not accept the K-code bill (card or mobile number); error.payment_id names the payment, which stays pending until it expires.",
    ),
    (
        "kcode_wrong_code",
        422,
        "The verification code is wrong; the attempt is counted (kcode.max_wrong_codes, default 3) and the message says how many are left.",
    ),
    (
        "kcode_code_expired",
        422,
        "The verification code has expired; ask for a new one with POST /v1/payments/{id}/kcode/resend.",
    ),
    (
        "kcode_attempts_exhausted",
        409,
        "Too many wrong verification codes: the payment failed (payment.failed is sent).",
    ),
    (
        "kcode_resend_too_soon",
        429,
        "A new code was asked for too soon after the last (kcode.min_resend_interval_s, default 60 s); the message says when to retry.",
    ),
    (
        "kcode_resend_limit",
        429,
        "No more codes can be sent for this payment (kcode.max_resends, default 5, or the bank's own limit).",
    ),
    (
        "kcode_refused",
        422,
        "The bank declined the K-code payment (e.g. the card holder's details); the message has the bank's reason.",
    ),
    (
        "bank_unavailable",
        502,
        "The bank could not be reached or refused the request.",
    ),
    (
        "bank_result_unknown",
        503,
        "The bank could not say whether the payment is paid; nothing was changed. Retry later.",
    ),
    (
        "internal_error",
        500,
        "Something failed inside unipay; the log has the details under the request id.",
    ),
];

#[derive(Debug)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
    /// For `duplicate_out_trade_no`: the existing payment.
    pub payment_id: Option<String>,
}

impl ApiError {
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            payment_id: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        let code = ERROR_CODES
            .iter()
            .find(|(name, _, _)| *name == self.code)
            .map(|(_, status, _)| *status)
            .unwrap_or(500);
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        // The client learns nothing; the log learns everything.
        tracing::error!(%error, "internal error");
        ApiError::new("internal_error", "internal error")
    }

    pub fn body(&self) -> String {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(id), Some(object)) = (&self.payment_id, error.as_object_mut()) {
            object.insert("payment_id".into(), json!(id));
        }
        json!({ "error": error }).to_string()
    }
}

impl From<unipay_store::StoreError> for ApiError {
    fn from(error: unipay_store::StoreError) -> Self {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_response(self.status(), self.body())
    }
}

/// A JSON answer from an already-serialised body.
pub fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_valid_status_and_codes_are_unique() {
        let mut names: Vec<_> = ERROR_CODES.iter().map(|(n, _, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ERROR_CODES.len());
        for (name, status, _) in ERROR_CODES {
            assert!(StatusCode::from_u16(*status).is_ok(), "{name}");
            assert_eq!(ApiError::new(name, "x").status().as_u16(), *status);
        }
    }
}
