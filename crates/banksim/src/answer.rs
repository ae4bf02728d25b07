//! The platform's answers: the Message text (M) of a TrxResponse, and the signed GBK HTTP answer
//! that carries it (see [`crate::wire::answer`]). The values we put in them are our own
//! constants or request fields we validated to a safe character set, so the real client's naive
//! scanner (no escapes, stops at `}`) reads them.

use crate::codes;
use crate::state::Inner;
use crate::wire::json::Obj;
use crate::wire::names;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const CONTENT_TYPE: &str = "text/html; charset=GBK";

/// M: `{"Version":"V3.0.0","Format":"JSON","Merchant":{…},"TrxResponse":{…}}`.
pub fn message<T: Serialize>(merchant_id: &str, trx_response: T) -> String {
    match serde_json::to_string(&trx_response) {
        Ok(json) => crate::wire::answer::message(merchant_id, &json),
        // Serializing plain strings cannot fail; should it ever, the merchant still gets a code.
        Err(_) => fallback(merchant_id),
    }
}

/// M around a TrxResponse written field by field.
pub fn object(merchant_id: &str, trx_response: Obj) -> String {
    crate::wire::answer::message(merchant_id, &trx_response.finish())
}

/// The head every TrxResponse starts with: ReturnCode, ErrorMessage, ECMerchantType,
/// MerchantID, TrxType (the captured answers' order).
pub fn head(merchant_id: &str, trx_type: &str, (code, text): (&str, &str)) -> Obj {
    Obj::new()
        .s(names::RETURN_CODE, code)
        .s(names::ERROR_MESSAGE, text)
        .s(names::EC_MERCHANT_TYPE, "EBUS")
        .s(names::MERCHANT_ID, merchant_id)
        .s(names::TRX_TYPE, trx_type)
}

fn fallback(merchant_id: &str) -> String {
    format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{merchant_id}"}},"TrxResponse":{{"ReturnCode":"{}","ErrorMessage":"{}"}}}}"#,
        codes::INCOMPLETE.0,
        codes::INCOMPLETE.1
    )
}

/// A refusal's TrxResponse: the code and its message only.
#[derive(Serialize)]
struct ErrorResponse<'a> {
    #[serde(rename = "ReturnCode")]
    return_code: &'a str,
    #[serde(rename = "ErrorMessage")]
    error_message: &'a str,
}

/// M of a refusal: the code and its message. `merchant_id` is `""` until the request's id
/// has been read and checked for safe characters.
pub fn refusal(merchant_id: &str, (code, text): (&str, &str)) -> String {
    message(
        merchant_id,
        ErrorResponse {
            return_code: code,
            error_message: text,
        },
    )
}

/// A refusal for a field the request lacks or gets wrong.
pub fn bad_field(merchant_id: &str, field: &str) -> String {
    refusal(
        merchant_id,
        (codes::BAD_FIELD, &codes::bad_field_message(field)),
    )
}

/// `HTTP/1.1 200`, `text/html; charset=GBK`, one signed GBK line and `\n`.
pub fn signed_response(sim: &Inner, message_json: &str) -> Response {
    let body = crate::wire::answer::seal(message_json, &sim.key, sim.algorithm);
    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}
