//! The platform's answers: the Message text (M) of a TrxResponse, and the signed GBK HTTP answer
//! that carries it. M is written with channel-abc's typed messages; the values we put in them
//! are our own constants or request fields we validated to a safe character set, so the real
//! client's naive scanner (no escapes, stops at `}`) reads them.

use crate::codes;
use crate::state::Inner;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use unipay_channel_abc::messages::{ErrorResponse, ResponseMessage};
use unipay_channel_abc::wire::build_answer;

pub const CONTENT_TYPE: &str = "text/html; charset=GBK";

/// M: `{"Version":"V3.0.0","Format":"JSON","Merchant":{…},"TrxResponse":{…}}`.
pub fn message<T: Serialize>(merchant_id: &str, trx_response: T) -> String {
    ResponseMessage::new(merchant_id, trx_response)
        .to_json()
        // Serializing plain strings cannot fail; should it ever, the merchant still gets a code.
        .unwrap_or_else(|_| fallback(merchant_id))
}

fn fallback(merchant_id: &str) -> String {
    format!(
        r#"{{"Version":"V3.0.0","Format":"JSON","Merchant":{{"ECMerchantType":"EBUS","MerchantID":"{merchant_id}"}},"TrxResponse":{{"ReturnCode":"{}","ErrorMessage":"{}"}}}}"#,
        codes::INCOMPLETE.0,
        codes::INCOMPLETE.1
    )
}

/// M of a refusal: the code and its message. `merchant_id` is `""` until the request's id
/// has been read and checked for safe characters.
pub fn refusal(merchant_id: &str, (code, text): (&str, &str)) -> String {
    message(
        merchant_id,
        ErrorResponse {
            return_code: code.to_string(),
            error_message: text.to_string(),
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
    let body = build_answer(message_json, &sim.key, sim.algorithm);
    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response()
}
