//! The OpenAPI paths of identity verification, kept apart so that the main document's `json!`
//! stays within the macro's recursion limit.

use serde_json::{Value, json};

pub fn verifications(error: &dyn Fn(&str) -> Value) -> Value {
    json!({
        "post": {
            "summary": "Verify an identity (身份验证): redirect mode (IdentityVerifyReq) answers verify_url and pending, the verdict arrives later as identity.verified; direct mode (StaticIdentifyVerifyReq) answers the verdict. Personal data is kept only masked and as keyed hashes; repeat_of names the app's latest earlier verification of the same document",
            "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["out_verify_no", "mode", "name", "certificate_no", "card_no"], "properties": {
                "out_verify_no": {"type": "string", "maxLength": 64},
                "mode": {"type": "string", "enum": ["redirect", "direct"]},
                "customer_type": {"type": "string", "enum": ["person", "company"], "default": "person"},
                "name": {"type": "string", "maxLength": 60},
                "certificate_type": {"type": "string", "enum": ["I", "P", "K", "D", "W", "U"], "default": "I"},
                "certificate_no": {"type": "string", "maxLength": 32, "description": "A 居民身份证 (I) is 18 characters with its check character."},
                "card_no": {"type": "string", "description": "12-19 digits."},
                "mobile": {"type": "string", "description": "11 digits."},
                "notify_url": {"type": "string", "format": "uri", "description": "Where identity.verified goes; the app's notify URL when absent."},
                "return_url": {"type": "string", "format": "uri", "description": "Where the bank sends the customer after the page (redirect mode)."}
            }}}}},
            "responses": {
                "201": {"description": "The verification: {id, object identity_verification, out_verify_no, mode, customer_type, status pending|matched|not_matched|failed, name_masked, certificate_type, certificate_no_masked, card_no_masked, mobile_masked, verify_url, reason_code, reason, repeat_of, seen_before, created_at, finished_at}"},
                "400": error("invalid_json, invalid_request, invalid_verify_mode, invalid_certificate, invalid_card_no, invalid_mobile"),
                "409": error("duplicate_out_verify_no, no_channel_account"),
                "422": error("idempotency_key_reused"),
                "503": error("personal_data_key_missing")
            }
        }
    })
}

pub fn verification(error: &dyn Fn(&str) -> Value, id_param: &Value) -> Value {
    json!({
        "get": {"summary": "Get an identity verification", "parameters": [id_param], "responses": {"200": {"description": "The verification."}, "404": error("identity_verification_not_found")}}
    })
}
