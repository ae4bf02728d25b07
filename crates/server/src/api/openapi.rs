//! The OpenAPI 3.1 document of the merchant API, served at `/v1/openapi.json`. Error codes come
//! from the same table the API answers with, so the document cannot drift from the code.

use crate::api::error::{ERROR_CODES, json_response};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

pub async fn document() -> Response {
    json_response(StatusCode::OK, openapi().to_string())
}

pub fn openapi() -> Value {
    let codes: Vec<Value> = ERROR_CODES.iter().map(|(code, _, _)| json!(code)).collect();
    let code_table: Vec<Value> = ERROR_CODES
        .iter()
        .map(|(code, status, meaning)| json!({"code": code, "status": status, "meaning": meaning}))
        .collect();
    let error = |description: &str| json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let payment = json!({"description": "The payment.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Payment"}}}});
    let id_param =
        json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let sync_param = json!({"name": "sync", "in": "query", "required": false, "schema": {"type": "boolean"}, "description": "Query the bank first when the payment is still open."});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "unipay merchant API",
            "version": "1",
            "description": "Every request is signed: `Authorization: UNIPAY-HMAC-SHA256 app_id=<app>,timestamp=<unix seconds>,nonce=<16-64 chars>,signature=<lowercase hex>` where signature = hex(HMAC-SHA256(app_secret, METHOD + \"\\n\" + PATH_WITH_QUERY + \"\\n\" + timestamp + \"\\n\" + nonce + \"\\n\" + lowercase_hex(sha256(body)))). Notifications are POSTed to notify_url with `Unipay-Signature: t=<unix>,v1=<hex HMAC-SHA256(app_secret, t + \".\" + body)>` and body {id, type (payment.succeeded|payment.failed|payment.closed), created_at, data: Payment}; any 2xx acknowledges; the same event keeps its id on every retry.",
            "x-error-codes": code_table,
        },
        "components": {
            "securitySchemes": {"unipayHmac": {"type": "apiKey", "in": "header", "name": "Authorization"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "enum": codes},
                        "message": {"type": "string"},
                        "payment_id": {"type": "string", "description": "For duplicate_out_trade_no: the existing payment."}
                    }}}
                },
                "CreatePayment": {
                    "type": "object",
                    "required": ["out_trade_no", "amount", "currency", "subject"],
                    "properties": {
                        "out_trade_no": {"type": "string", "maxLength": 64, "pattern": "^[A-Za-z0-9._-]+$"},
                        "amount": {"type": "integer", "minimum": 1, "maximum": 10_000_000_000i64, "description": "Minor units (fen)."},
                        "currency": {"type": "string", "enum": ["CNY"]},
                        "subject": {"type": "string", "maxLength": 128},
                        "notify_url": {"type": "string", "format": "uri"},
                        "return_url": {"type": "string", "format": "uri"},
                        "expires_in_seconds": {"type": "integer", "minimum": 1},
                        "metadata": {"type": "object"}
                    }
                },
                "Payment": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"}, "app_id": {"type": "string"}, "out_trade_no": {"type": "string"},
                        "amount": {"type": "integer"}, "currency": {"type": "string"}, "subject": {"type": "string"},
                        "status": {"type": "string", "enum": ["created", "pending", "succeeded", "failed", "closed"]},
                        "channel": {"type": "string"},
                        "channel_order_no": {"type": "string", "description": "The order number the bank knows the payment by (ABC OrderNo)."},
                        "channel_trade_no": {"type": ["string", "null"], "description": "The bank's serial (ABC iRspRef)."},
                        "accounting_date": {"type": ["string", "null"], "format": "date"},
                        "paid_at": {"type": ["string", "null"], "format": "date-time"},
                        "cashier_url": {"type": "string"}, "return_url": {"type": ["string", "null"]},
                        "notify_url": {"type": ["string", "null"]},
                        "expires_at": {"type": "string", "format": "date-time"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "metadata": {"type": ["object", "null"]}
                    }
                }
            }
        },
        "security": [{"unipayHmac": []}],
        "paths": {
            "/v1/payments": {
                "post": {
                    "summary": "Create a payment",
                    "parameters": [{"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CreatePayment"}}}},
                    "responses": {"201": payment, "400": error("invalid_json, invalid_request, invalid_amount, invalid_currency, invalid_idempotency_key"), "401": error("authorization errors"), "409": error("duplicate_out_trade_no, idempotency_key_in_flight, no_channel_account"), "422": error("idempotency_key_reused")}
                },
                "get": {
                    "summary": "Find a payment by out_trade_no",
                    "parameters": [{"name": "out_trade_no", "in": "query", "required": true, "schema": {"type": "string"}}, sync_param],
                    "responses": {"200": payment, "404": error("payment_not_found")}
                }
            },
            "/v1/payments/{id}": {
                "get": {"summary": "Get a payment", "parameters": [id_param, sync_param], "responses": {"200": payment, "404": error("payment_not_found")}}
            },
            "/v1/payments/{id}/close": {
                "post": {"summary": "Close an unpaid payment after the bank confirms it unpaid", "parameters": [id_param], "responses": {"200": payment, "404": error("payment_not_found"), "409": error("payment_not_closable"), "503": error("bank_result_unknown")}}
            }
        }
    })
}
