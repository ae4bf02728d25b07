//! The OpenAPI parts of K-code payment, kept apart so that the main document's `json!` stays
//! within the macro's recursion limit.

use serde_json::{Value, json};

pub fn method() -> Value {
    json!({"type": "string", "enum": ["cashier", "kcode"], "description": "kcode: K-code payment without a page redirect: the bank texts the consumer a code (KPayVerifyReq); the answer is the pending payment with its kcode member, or 402 kcode_bill_refused (error.payment_id), or 503 bank_result_unknown (send the same request with the same Idempotency-Key again); then kcode/confirm pays it. Needs card_no and mobile_no; not with capture manual."})
}

pub fn card_no() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{12,19}$", "description": "With method kcode: the consumer's card. Never stored or logged in full."})
}

pub fn mobile_no() -> Value {
    json!({"type": "string", "pattern": "^1[0-9]{10}$", "description": "With method kcode: where the bank texts the code. Never stored or logged in full."})
}

pub fn kcode_member() -> Value {
    json!({"type": "object", "description": "In the answers of a kcode create, confirm and resend: {status sending|code_sent|refused|unknown|paid|failed, card_no (masked), mobile_no (masked), code_sent_at, resend_count, resends_left, wrong_attempts, attempts_left}."})
}

pub fn confirm(error: &dyn Fn(&str) -> Value, id_param: &Value, payment: &Value) -> Value {
    json!({
        "post": {
            "summary": "Pay a K-code payment with the texted code (KPayReq); a repeat after success answers the same",
            "parameters": [id_param],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["verify_code", "account_name", "certificate_type", "certificate_no"], "properties": {"verify_code": {"type": "string", "pattern": "^[0-9]{4,8}$"}, "account_name": {"type": "string", "maxLength": 60}, "certificate_type": {"type": "string", "enum": ["I", "P", "K", "D", "W", "U"]}, "certificate_no": {"type": "string", "maxLength": 32}, "exp_date": {"type": "string", "pattern": "^[0-9]{4}$", "description": "MMYY, credit cards"}, "cvv2": {"type": "string", "pattern": "^[0-9]{3}$", "description": "Credit cards"}}}}}},
            "responses": {"200": payment, "400": error("invalid_json, invalid_request"), "404": error("payment_not_found"), "409": error("payment_not_kcode, kcode_not_awaiting_code, kcode_attempts_exhausted, kcode_not_offered"), "422": error("kcode_wrong_code, kcode_code_expired, kcode_refused"), "502": error("bank_unavailable"), "503": error("bank_result_unknown")}
        }
    })
}

pub fn resend(error: &dyn Fn(&str) -> Value, id_param: &Value, payment: &Value) -> Value {
    json!({
        "post": {
            "summary": "Text a new code for a K-code payment (KPayResendReq); the old code stops working; rate-limited",
            "parameters": [id_param],
            "responses": {"200": payment, "404": error("payment_not_found"), "409": error("payment_not_kcode, kcode_not_awaiting_code, kcode_attempts_exhausted"), "429": error("kcode_resend_too_soon, kcode_resend_limit"), "502": error("bank_unavailable"), "503": error("bank_result_unknown")}
        }
    })
}
